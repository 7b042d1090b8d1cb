namespace Clinforge.Tests;

/// <summary>
/// A test that needs a running Slurm cluster (the single-node one that tools/slurm/start-test-cluster.sh
/// starts, which .ci/run calls). Skips with a message saying so when none answers. Finds the test
/// cluster's slurm.conf when SLURM_CONF is not set, and sets it for this process and its children.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    /// <summary>The test cluster's configuration, written by the start script.</summary>
    public const string TestClusterConf = "/tmp/clinforge-slurm/slurm.conf";

    private static readonly Lazy<string?> Missing = new(Probe);

    public SlurmFactAttribute()
    {
        if (Missing.Value is { } why) Skip = why;
    }

    private static string? Probe()
    {
        if (Environment.GetEnvironmentVariable("SLURM_CONF") is null && File.Exists(TestClusterConf))
            Environment.SetEnvironmentVariable("SLURM_CONF", TestClusterConf);
        return Clinforge.Development.SlurmTools.ControllerAnswers()
            ? null
            : "Slurm is not running here (no controller answers sinfo); start the test cluster with tools/slurm/start-test-cluster.sh (as root; .ci/run does)";
    }
}
