using System.Runtime.InteropServices;
using Shoal.Cli;

Shoal.Platform.StartupTrace.Mark("main");
using var allocationTrace = Shoal.Platform.AllocationTrace.StartIfRequested();

// The first Ctrl-C or SIGTERM asks the host to stop gracefully; a second Ctrl-C kills at once.
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext signal)
{
    if (stop.IsCancellationRequested)
    {
        return; // second signal: let the default action end the process
    }

    signal.Cancel = true;
    Console.Error.WriteLine($"shoal: {signal.Signal}, stopping (Ctrl-C again to kill)");
    stop.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await ShoalCommand.InvokeAsync(args, Console.Out, Console.Error, stop.Token);
