using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Development;

/// <summary>
/// The task kinds, registered by name in one place (like timm's model registry). A new kind is a
/// folder per room and one line here. Classification comes last: it takes every run no other kind claims.
/// </summary>
public static class TaskKinds
{
    private static readonly ITaskKind[] s_kinds =
    [
        new SegmentationKind(),
        new DetectionKind(),
        new ClassificationKind(),
    ];

    /// <summary>Every registered kind, in the order they are asked.</summary>
    public static IReadOnlyList<ITaskKind> All => s_kinds;

    /// <summary>The kind registered as <paramref name="name"/>.</summary>
    public static ITaskKind ByName(string name) =>
        s_kinds.FirstOrDefault(k => k.Name == name) ?? throw new ClinforgeException($"unknown task kind '{name}' (known: {string.Join(", ", s_kinds.Select(k => k.Name))}).");

    /// <summary>The kind that develops a prepared run.</summary>
    public static ITaskKind For(TaskSpec spec, DataCard card) => s_kinds.First(k => k.Develops(spec, card));

    /// <summary>The kind that prepares a new run from a dataset as read.</summary>
    public static ITaskKind ForData(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (s_kinds.FirstOrDefault(k => k.Reads(dataset)) is { } kind) return kind;
        throw new ClinforgeException($"{dataset.Source}: no task kind develops a dataset like this ({dataset.Format}).", 2);
    }
}
