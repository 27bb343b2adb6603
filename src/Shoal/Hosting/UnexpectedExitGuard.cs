namespace Shoal.Hosting;

/// <summary>
/// Makes a worker process that exits while it serves (a task called <c>Environment.Exit(0)</c>, or any code) end with
/// <see cref="HostExitCodes.ExitedWhileServing"/>, whatever code was asked for, so that its nanny restarts it (the
/// nanny ends with a worker that exits 0, and does not restart one that exits 3). The runtime takes an exit code set
/// while the process-exit handlers run. Disposed once the host has shut its workers down, when exiting is the plan.
/// </summary>
internal sealed class UnexpectedExitGuard : IDisposable
{
    private readonly TextWriter _stdout;
    private int _disposed;

    public UnexpectedExitGuard(TextWriter stdout)
    {
        _stdout = stdout;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        var asked = Environment.ExitCode;
        Environment.ExitCode = HostExitCodes.ExitedWhileServing;
        try
        {
            _stdout.WriteLine($"Worker process exiting while it serves (exit code {asked} asked for, by a task calling Environment.Exit?): exit code {HostExitCodes.ExitedWhileServing}, so that its nanny restarts it");
            _stdout.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Nobody reads the output any more; the exit code says it.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
    }
}
