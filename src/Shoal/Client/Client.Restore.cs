using Shoal.ClientSide;
using Shoal.Comm;
using Shoal.Protocol.Messages;
using Shoal.Transfer;

namespace Shoal;

// The client as holder of last resort: results it fetched and still holds are reported to the
// scheduler (HeldByClient). When every worker holding one dies, the scheduler asks for it back
// (RestoreKeys) and the client puts it on the worker named (PutData), so it is not computed again.
public sealed partial class Client
{
    /// <summary>Tells the scheduler that this client now holds these fetched results.</summary>
    private void ReportHeld(List<string> keys)
    {
        if (keys.Count == 0 || !Options.HoldResultsForRecovery) return;
        var held = new HeldByClient();
        held.Keys.AddRange(keys);
        // Through the outbox: ordered with releases, so a release that follows undoes it.
        _outbox.Send(new Envelope { HeldByClient = held });
    }

    private readonly List<Task> _restores = [];

    /// <summary>Starts a restore; <see cref="DisposeAsync"/> lets it finish, so its answer reaches the scheduler before the client leaves.</summary>
    private void StartRestore(RestoreKeys request)
    {
        var restore = RestoreAsync(request);
        lock (_restores)
        {
            _restores.RemoveAll(static t => t.IsCompleted);
            _restores.Add(restore);
        }
    }

    /// <summary>Waits (a few seconds at most) for the restores under way: a value put on a worker whose answer never reached the scheduler would stay there unknown.</summary>
    private async Task FinishRestoresAsync()
    {
        Task[] pending;
        lock (_restores) pending = [.. _restores];
        if (pending.Length == 0) return;
        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
    }

    /// <summary>Puts back on a worker the results the scheduler lost and this client holds; answers what it restored and what not.</summary>
    private async Task RestoreAsync(RestoreKeys request)
    {
        var reply = new RestoreReply { Worker = request.Worker };
        var keys = new List<string>();
        var encoded = new List<EncodedValue>();
        foreach (var key in request.Keys)
        {
            var entry = Find(key);
            if (entry is not { HasValue: true })
            {
                reply.Missing.Add(key);
                continue;
            }

            keys.Add(key);
            encoded.Add(Payloads.Encode(entry.Value, ByReference));
        }

        try
        {
            if (keys.Count > 0) await PutAsync(request.Worker, [.. Enumerable.Range(0, keys.Count)], [.. keys], [.. encoded], generation: 0, CancellationToken.None).ConfigureAwait(false);
            for (var i = 0; i < keys.Count; i++)
            {
                reply.Restored.Add(new KeyNbytes { Key = keys[i], Nbytes = (ulong)encoded[i].Nbytes, TypeName = encoded[i].TypeName });
            }
        }
        catch (Exception e) when (e is ConnectionClosedException or IOException or System.Net.Sockets.SocketException or InvalidOperationException or OperationCanceledException)
        {
            // The worker went too: the scheduler computes them again.
            _peers.Evict(request.Worker);
            reply.Missing.AddRange(keys);
            ClientLog.RestoreFailed(_logger, keys.Count, request.Worker, e.Message);
        }

        try
        {
            _outbox.Send(new Envelope { RestoreReply = reply });
        }
        catch (Exception e) when (e is ConnectionClosedException or ObjectDisposedException)
        {
            // The scheduler is gone: nothing to restore for.
        }
    }
}
