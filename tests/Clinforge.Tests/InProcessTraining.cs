namespace Clinforge.Tests;

/// <summary>
/// Test classes that train or run TorchSharp networks inside the test process run alone, never beside
/// other tests. A garbage collection set off by another thread in the middle of a TorchSharp call can
/// finalise a Scalar that libtorch is still reading ("Unknown scalar type" inside AdamW's step, seen
/// once in CI); a trial process has one training thread and a parent watch that allocates nothing, so
/// it never meets this, but xUnit's parallel test classes would.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InProcessTraining
{
    /// <summary>The collection's name.</summary>
    public const string Name = "in-process training";
}
