using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    private long _recordings;

    /// <summary>
    /// Starts a performance report of what the cluster does until the returned object is
    /// disposed, which writes it to <paramref name="path"/> as one self-contained HTML file:
    /// <c>await using (client.PerformanceReport("report.html")) { ... }</c>. It records the whole
    /// cluster (other clients' tasks too), as Dask's does.
    /// </summary>
    /// <param name="path">The HTML file to write; its directory must exist.</param>
    /// <returns>The report; dispose it to write the file.</returns>
    /// <exception cref="DirectoryNotFoundException">The file's directory does not exist (checked now, not after the work).</exception>
    public PerformanceReport PerformanceReport(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
            throw new DirectoryNotFoundException($"cannot write the performance report to {full}: its directory {directory} does not exist");
        var id = (ulong)Interlocked.Increment(ref _recordings);
        _scheduler.Send(new Envelope { PerformanceReportStart = new PerformanceReportStart { RecordingId = id } });
        return new Shoal.PerformanceReport(this, full, id);
    }

    internal async Task<byte[]> StopRecordingAsync(ulong recording, CancellationToken cancellationToken)
    {
        var id = _scheduler.NextRequestId();
        var reply = await _scheduler.RequestAsync(id, new Envelope { PerformanceReportStop = new PerformanceReportStop { RequestId = id, RecordingId = recording } },
            default, cancellationToken).ConfigureAwait(false);
        var data = reply.Message.PerformanceReportData;
        if (data.Error.Length > 0) throw new InvalidOperationException($"the scheduler has no performance report to give: {data.Error}");
        return data.Json.ToByteArray();
    }
}
