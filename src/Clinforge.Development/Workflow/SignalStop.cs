using System.Runtime.InteropServices;

namespace Clinforge.Development;

/// <summary>
/// While it lives, Ctrl-C and SIGTERM stop the developer loop cleanly instead of ending the process:
/// the running trials are stopped (local children killed, Slurm jobs cancelled), so nothing keeps
/// training, and the run can be resumed. A second signal ends the process at once. Disposed after the
/// loop, so that later steps stop as before.
/// </summary>
public sealed class SignalStop : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public SignalStop()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cts.Token;

    private void Handle(PosixSignalContext context)
    {
        if (_cts.IsCancellationRequested) return; // second signal: default action
        context.Cancel = true;
        Console.Error.WriteLine("stopping: the running trials are being stopped; 'clinforge resume' continues the run (signal again to quit at once).");
        _cts.Cancel();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cts.Dispose();
    }
}
