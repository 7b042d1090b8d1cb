namespace Clinforge.Tests;

/// <summary>
/// Test classes that train or run TorchSharp networks inside the test process run alone, never beside
/// other tests. A garbage collection set off by another thread in the middle of a TorchSharp call can
/// finalise a Scalar that libtorch is still reading ("Unknown scalar type" inside AdamW's step, seen
/// once in CI). The training loop holds collections off during its steps (<c>QuietCollector</c>), but only
/// up to a budget that xUnit's parallel test classes could spend; and tests of that guard count collections.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InProcessTraining
{
    /// <summary>The collection's name.</summary>
    public const string Name = "in-process training";
}
