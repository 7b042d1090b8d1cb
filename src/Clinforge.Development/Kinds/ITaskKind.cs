using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Development;

/// <summary>
/// A task kind as a plug-in (DESIGN.md "Task kinds are plug-ins"): everything the workflow does
/// differently for classification, detection or segmentation sits behind this seam, in the kind's
/// own folder, and the kind is registered by name in <see cref="TaskKinds"/>. The workflow and the
/// loop never branch on the kind.
/// </summary>
public interface ITaskKind
{
    /// <summary>The name the kind is registered and chosen by (the same key on the Training side).</summary>
    string Name { get; }

    /// <summary>Whether a dataset, as read, carries this kind's labels (the kind that prepares a new run).</summary>
    bool Reads(Dataset dataset);

    /// <summary>Whether a prepared run, from its spec and data card, is developed as this kind.</summary>
    bool Develops(TaskSpec spec, DataCard card);

    /// <summary>
    /// Understands the request against the data and fixes the sealed splits, the protocol and the data
    /// card. Everything that can fail on bad input happens here, before the run folder exists.
    /// </summary>
    PreparedRun Prepare(string request, Dataset dataset, RunSettings settings, Func<TaskSpec, TaskSpec>? review, IWorkflowView view, IModelRuntime runtime);

    /// <summary>Recipe v0 as a pure function of (spec, card), honouring the starting point (auto, pretrained, scratch).</summary>
    Recipe Plan(TaskSpec spec, DataCard card, int seed, string start);

    /// <summary>The kind's offline playbook of moves.</summary>
    IProposer Playbook { get; }

    /// <summary>
    /// The proposer and the acceptance rule the loop runs with: the kind may put its own moves before
    /// <paramref name="proposer"/> (an extension such as debiasing) and judges trials by its own rule
    /// (null: the clinician's objective improved).
    /// </summary>
    (IProposer Proposer, IAcceptance? Acceptance) Develop(RunContext context, Recipe initial, IProposer proposer);

    /// <summary>After the loop: the one look at the test split, the report and the model package; the exit code.</summary>
    int Finish(RunContext context);

    /// <summary>Rewrites the report from the run folder alone (<c>clinforge report</c>); returns report.html.</summary>
    string WriteReport(RunPaths run, Journal journal);
}
