namespace Shoal;

/// <summary>
/// A performance report being recorded (<see cref="Client.PerformanceReport(string)"/>): while it
/// is open the scheduler records every task finished or failed and the workers' memory; disposing
/// it writes one self-contained HTML file (task stream, time per task group, transfers, worker
/// memory over time, a summary), as Dask's <c>performance_report</c> does. The file needs nothing
/// else to open: no server, no network.
/// </summary>
public sealed class PerformanceReport : IAsyncDisposable
{
    private readonly Client _client;
    private readonly ulong _id;
    private int _disposed;

    internal PerformanceReport(Client client, string path, ulong id)
    {
        _client = client;
        Path = path;
        _id = id;
    }

    /// <summary>The file written when the report is disposed (a full path).</summary>
    public string Path { get; }

    /// <summary>Ends the recording and writes the report's file (replacing one that was there).</summary>
    /// <exception cref="InvalidOperationException">The scheduler has no such recording (see the message).</exception>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var json = await _client.StopRecordingAsync(_id, CancellationToken.None).ConfigureAwait(false);
        await PerformanceReportFile.WriteAsync(Path, json).ConfigureAwait(false);
    }
}
