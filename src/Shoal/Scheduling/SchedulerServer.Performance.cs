using Shoal.Dashboard;
using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

// Performance reports: a client's recording of what the cluster did over a block of its work,
// read from the observer stream (its own cursor on the task ring) and snapshots, off the loop.
internal sealed partial class SchedulerServer
{
    /// <summary>Recordings at once at most; a new one past this ends the oldest (a client that never stopped its own).</summary>
    private const int MaxRecordings = 16;

    private readonly Dictionary<(int Session, ulong Id), PerformanceRecorder> _recordings = new();

    private void StartRecording(Session session, PerformanceReportStart start)
    {
        if (_recordings.Count >= MaxRecordings)
        {
            var oldest = _recordings.MinBy(r => r.Value.Started);
            _recordings.Remove(oldest.Key);
            _ = oldest.Value.DisposeAsync().AsTask();
        }

        var key = (session.Id, start.RecordingId);
        if (_recordings.Remove(key, out var previous)) _ = previous.DisposeAsync().AsTask();
        _recordings[key] = PerformanceRecorder.Start(_observer, SnapshotAsync);
    }

    private void StopRecording(Session session, PerformanceReportStop stop)
    {
        if (!_recordings.Remove((session.Id, stop.RecordingId), out var recorder))
        {
            TrySend(session, new Envelope { PerformanceReportData = new PerformanceReportData { RequestId = stop.RequestId, Error = $"no recording {stop.RecordingId} of this client (started on another connection, or ended by newer ones)" } }, default);
            return;
        }

        _ = FinishRecordingAsync(session, stop.RequestId, recorder);
    }

    /// <summary>Off the loop: the last drain and snapshot (which is taken on the loop), then the data to the client.</summary>
    private async Task FinishRecordingAsync(Session session, ulong requestId, PerformanceRecorder recorder)
    {
        var reply = new PerformanceReportData { RequestId = requestId };
        try
        {
            reply.Json = Google.Protobuf.ByteString.CopyFrom(await recorder.StopAsync().ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            reply.Error = $"the recording failed: {e.Message}";
        }

        TrySend(session, new Envelope { PerformanceReportData = reply }, default);
    }
}
