using Shoal.ClientSide;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// Shows the progress of <paramref name="futures"/> until all are done: live bars per task
    /// group on a terminal (Spectre.Console), plain lines at most every 5 s when the output is not
    /// a terminal (a CI log). Completes when every future is done, failed or cancelled; it does
    /// not throw for failed ones (await them for that).
    /// </summary>
    /// <param name="futures">The futures to watch.</param>
    /// <param name="cancellationToken">Stops watching.</param>
    /// <returns>Completes when all are done.</returns>
    public Task ProgressAsync(IEnumerable<Future> futures, CancellationToken cancellationToken = default) =>
        ProgressAsync(futures, (ProgressOptions?)null, cancellationToken);

    /// <summary>Shows the progress of <paramref name="futures"/> where and how <paramref name="options"/> say (<see cref="ProgressAsync(IEnumerable{Future}, CancellationToken)"/>).</summary>
    /// <param name="futures">The futures to watch.</param>
    /// <param name="options">Output, live bars or lines, intervals; null: the console, decided by whether it is a terminal.</param>
    /// <param name="cancellationToken">Stops watching.</param>
    /// <returns>Completes when all are done.</returns>
    public Task ProgressAsync(IEnumerable<Future> futures, ProgressOptions? options, CancellationToken cancellationToken = default)
    {
        options ??= new ProgressOptions();
        var tracker = new ProgressTracker(futures);
        var interactive = options.Interactive
            ?? (options.Output is null && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not ("dumb" or null or ""));
        var output = options.Output ?? Console.Out;
        return interactive
            ? TerminalProgress.RunAsync(tracker, output, options.RefreshInterval, cancellationToken)
            : PlainProgress.RunAsync(tracker, output, options.LineInterval, cancellationToken);
    }

    /// <summary>
    /// Reports the progress of <paramref name="futures"/> to <paramref name="progress"/> (a UI's
    /// <see cref="Progress{T}"/>, a log) whenever it changes, at most every 100 ms, and once
    /// complete; returns the last report.
    /// </summary>
    /// <param name="futures">The futures to watch.</param>
    /// <param name="progress">Receives the reports.</param>
    /// <param name="cancellationToken">Stops watching.</param>
    /// <returns>The final report.</returns>
    public Task<ProgressReport> ProgressAsync(IEnumerable<Future> futures, IProgress<ProgressReport> progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return ProgressLoop.RunAsync(new ProgressTracker(futures), TimeSpan.FromMilliseconds(100), progress.Report, cancellationToken);
    }
}
