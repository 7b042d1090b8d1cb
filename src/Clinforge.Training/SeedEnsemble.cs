using Clinforge.Core;
using Clinforge.Training.Onnx;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// Several networks of one recipe, trained with different seeds (or on different cross-validation
/// folds), whose class probabilities are averaged (Dietterich 2000; Lakshminarayanan et al. 2017, "deep ensembles"). The forward pass
/// returns the log of the mean probability, so the usual softmax downstream gives the averaged
/// probabilities exactly, and the ensemble saves and loads as one model file.
/// </summary>
/// <remarks>
/// Pretrained members fine-tuned with frozen stages hold those stages bitwise identical (the same
/// weights, never updated, batch norm in evaluation mode). With <see cref="SharedStages"/> &gt; 0 the
/// ensemble computes them once per image, stores them once in its file (member 0's copy; the others
/// are filled from it on loading) and exports them once to ONNX: a 5-fold ensemble of head-only
/// ResNet-18s is one backbone and five heads, not five backbones.
/// </remarks>
public sealed class SeedEnsemble : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly ModuleList<Module<Tensor, Tensor>> _members;
    private readonly string _listName;

    /// <summary>An ensemble of <paramref name="members"/> (untrained or loaded later) sharing <paramref name="sharedStages"/> stages (pretrained members only).</summary>
    public SeedEnsemble(IEnumerable<Module<Tensor, Tensor>> members, int sharedStages = 0) : base(nameof(SeedEnsemble))
    {
        ArgumentNullException.ThrowIfNull(members);
        _members = nn.ModuleList(members.ToArray());
        if (sharedStages is < 0 or > 4) throw new ArgumentOutOfRangeException(nameof(sharedStages), sharedStages, "shared stages must lie in 0..4");
        if (sharedStages > 0 && !_members.All(m => m is PretrainedResNet))
            throw new ArgumentException("only pretrained ResNet-18 members can share stages", nameof(members));
        SharedStages = sharedStages;
        RegisterComponents();
        _listName = named_children().Single().name;
    }

    /// <summary>
    /// An ensemble of trained <paramref name="members"/> that shares whatever stages they hold
    /// identically (pretrained members with frozen stages; none otherwise).
    /// </summary>
    public static SeedEnsemble Shared(IReadOnlyList<Module<Tensor, Tensor>> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        int shared = members.All(m => m is PretrainedResNet) ? PretrainedResNet.IdenticalStages(members.Cast<PretrainedResNet>().ToList()) : 0;
        return new SeedEnsemble(members, shared);
    }

    /// <summary>The member networks, in seed order.</summary>
    public IReadOnlyList<Module<Tensor, Tensor>> Members => _members.ToList();

    /// <summary>Stem and stages 1..N that every member holds identically and the file stores once (0: none).</summary>
    public int SharedStages { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor sum = zeros(1);
        if (SharedStages > 0)
        {
            var trunk = ((PretrainedResNet)_members[0]).Trunk(x, SharedStages);
            foreach (var member in _members) sum = sum + nn.functional.softmax(((PretrainedResNet)member).Tail(trunk, SharedStages), 1);
        }
        else
        {
            foreach (var member in _members) sum = sum + nn.functional.softmax(member.forward(x), 1);
        }
        return (sum / _members.Count).clamp_min(1e-12).log().MoveToOuterDisposeScope();
    }

    /// <summary>The state to save: every member's, without the shared stages of members after the first.</summary>
    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null)
    {
        var all = base.state_dict(destination, prefix);
        foreach (var key in SharedKeys(all.Keys, prefix ?? "").ToList()) all.Remove(key);
        return all;
    }

    /// <summary>Loads the file, then gives every member the first member's shared stages.</summary>
    public override Module load(string location, bool strict = true, IList<string>? skip = null, Dictionary<string, bool>? loadedParameters = null)
    {
        base.load(location, strict, skip, loadedParameters);
        CopySharedStages();
        return this;
    }

    /// <summary>Loads from a reader, then gives every member the first member's shared stages.</summary>
    public override Module load(BinaryReader reader, bool strict = true, IList<string>? skip = null, Dictionary<string, bool>? loadedParameters = null)
    {
        base.load(reader, strict, skip, loadedParameters);
        CopySharedStages();
        return this;
    }

    /// <inheritdoc />
    public string ExportOnnx(OnnxGraph graph, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        List<string> probabilities;
        if (SharedStages > 0)
        {
            var trunk = ((PretrainedResNet)_members[0]).ExportTrunk(graph, input, SharedStages);
            probabilities = _members.Select(m => graph.Node("Softmax", [((PretrainedResNet)m).ExportTail(graph, trunk, SharedStages)], OnnxAttribute.Int("axis", 1))).ToList();
        }
        else
        {
            probabilities = _members.Select(m => graph.Node("Softmax", [OnnxLayers.Write(graph, m, input)], OnnxAttribute.Int("axis", 1))).ToList();
        }
        var mean = graph.Node("Div", [graph.Node("Sum", probabilities), graph.Constant("members", [(float)_members.Count])]);
        return graph.Node("Log", [graph.Node("Clip", [mean, graph.Constant("min_probability", [1e-12f])])]);
    }

    /// <summary>Keys of members 1.. that lie in the shared stages.</summary>
    private IEnumerable<string> SharedKeys(IEnumerable<string> keys, string prefix)
    {
        if (SharedStages == 0) return [];
        var stagePrefixes = PretrainedResNet.StagePrefixes(SharedStages).ToList();
        return keys.Where(k => Enumerable.Range(1, _members.Count - 1).Any(i =>
            k.StartsWith($"{prefix}{_listName}.{i}.", StringComparison.Ordinal)
            && stagePrefixes.Any(p => k.AsSpan($"{prefix}{_listName}.{i}.".Length).StartsWith(p, StringComparison.Ordinal))));
    }

    private void CopySharedStages()
    {
        if (SharedStages == 0) return;
        using var noGrad = no_grad();
        var stagePrefixes = PretrainedResNet.StagePrefixes(SharedStages).ToList();
        var source = _members[0].state_dict().Where(kv => stagePrefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal))).ToList();
        for (int i = 1; i < _members.Count; i++)
        {
            var target = _members[i].state_dict();
            foreach (var (key, value) in source)
            {
                if (!target.TryGetValue(key, out var t)) throw new ClinforgeException($"ensemble member {i} has no '{key}' to share");
                t.copy_(value);
            }
        }
    }
}
