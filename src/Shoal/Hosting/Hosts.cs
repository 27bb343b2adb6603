namespace Shoal.Hosting;

// Temporary stubs: the CLI calls exactly these three methods. The runtime's owner replaces
// this file with the real implementations.

/// <summary>Runs a standalone scheduler until cancelled (what <c>shoal scheduler</c> runs).</summary>
public static class SchedulerHost
{
    /// <summary>
    /// Starts a scheduler, writes its address on <paramref name="stdout"/>, serves until
    /// <paramref name="cancellationToken"/> is cancelled, then shuts down gracefully.
    /// </summary>
    /// <param name="options">Where to listen and how to behave.</param>
    /// <param name="stdout">Where the address and logs go.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl-C / SIGTERM.</param>
    /// <returns>The process exit code.</returns>
    public static Task<int> RunAsync(SchedulerHostOptions options, TextWriter stdout, CancellationToken cancellationToken) =>
        throw new NotSupportedException("not wired yet");
}

/// <summary>Runs worker processes that join a scheduler (what <c>shoal worker</c> runs).</summary>
public static class WorkerHost
{
    /// <summary>
    /// Starts the workers, serves until <paramref name="cancellationToken"/> is cancelled (or
    /// the scheduler is gone for longer than the death timeout), then shuts down gracefully.
    /// </summary>
    /// <param name="options">Which scheduler to join and with what capacity.</param>
    /// <param name="stdout">Where logs go.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl-C / SIGTERM.</param>
    /// <returns>The process exit code.</returns>
    public static Task<int> RunAsync(WorkerHostOptions options, TextWriter stdout, CancellationToken cancellationToken) =>
        throw new NotSupportedException("not wired yet");
}

/// <summary>Runs a single-node cluster: a scheduler and worker processes (what <c>shoal local</c> runs).</summary>
public static class LocalHost
{
    /// <summary>
    /// Starts the scheduler and the workers, writes the scheduler address as the first line on
    /// <paramref name="stdout"/>, serves until <paramref name="cancellationToken"/> is
    /// cancelled, then shuts everything down.
    /// </summary>
    /// <param name="options">How many workers, of what size, listening where.</param>
    /// <param name="stdout">Where the address and logs go.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl-C / SIGTERM.</param>
    /// <returns>The process exit code.</returns>
    public static Task<int> RunAsync(LocalHostOptions options, TextWriter stdout, CancellationToken cancellationToken) =>
        throw new NotSupportedException("not wired yet");
}
