namespace Shoal.Platform;

/// <summary>
/// Start-up phases of a Shoal process, written to stderr as
/// <c>shoal-startup PHASE UNIX-µs PID CPU-µs</c> when <c>SHOAL_STARTUP_TRACE=1</c>, so that a parent
/// (bench <c>worker-start</c>) that knows when it exec'd the process can say where the time to
/// "registered" goes: wall clock, and the process's CPU time so far (which a loaded machine
/// inflates far less). Off, a mark costs one test
/// of a read-only flag. Write-only: nothing in the process reads it back.
/// </summary>
internal static class StartupTrace
{
    /// <summary>The variable that turns the trace on.</summary>
    public const string Variable = "SHOAL_STARTUP_TRACE";

    private static readonly bool On = Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Records that this process reached <paramref name="phase"/> now.</summary>
    public static void Mark(string phase)
    {
        if (!On) return;
        var micros = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        var cpu = (long)Environment.CpuUsage.TotalTime.TotalMicroseconds;
        Console.Error.WriteLine($"shoal-startup {phase} {micros} {Environment.ProcessId} {cpu}");
    }
}
