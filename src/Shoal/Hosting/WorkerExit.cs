namespace Shoal.Hosting;

/// <summary>How a worker process ended, in the words the nanny logs and reports to the scheduler.</summary>
internal static class WorkerExit
{
    /// <summary>Whether exit code <paramref name="code"/> is a normal end (0), and what happened, e.g. "killed by signal 9 (SIGKILL) (exit code 137)".</summary>
    public static (bool Normal, string Text) Describe(int code) => code switch
    {
        0 => (true, "exited normally"),
        HostExitCodes.RestartRequested => (false, $"restarted at a client's request (exit code {code})"),
        HostExitCodes.ExitedWhileServing => (false, $"the worker process exited while serving (a task called Environment.Exit?; exit code {code})"),
        > 128 and < 128 + 65 => (false, $"killed by signal {code - 128}{SignalName(code - 128)} (exit code {code})"),
        _ => (false, $"exited with code {code}"),
    };

    private static string SignalName(int signal) => signal switch
    {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    };
}
