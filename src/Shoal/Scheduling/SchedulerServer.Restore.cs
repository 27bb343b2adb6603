using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

// The network side of clients as holders of last resort (SchedulerState.ClientHolders): the
// state's RestoreKeys commands go to each client as one message per target worker, and the
// client's answer goes back into the state.
internal sealed partial class SchedulerServer
{
    private readonly Dictionary<(int Client, int Worker), RestoreKeys> _pendingRestores = new();

    private void AddRestore(int client, int task)
    {
        var worker = _state.RestoreTargetOf(task);
        if (!_pendingRestores.TryGetValue((client, worker), out var restore))
        {
            _pendingRestores[(client, worker)] = restore = new RestoreKeys { Worker = AddressOf(worker) };
        }

        restore.Keys.Add(_state.KeyOf(task));
    }

    private void FlushRestores()
    {
        if (_pendingRestores.Count == 0) return;
        foreach (var ((client, _), restore) in _pendingRestores)
        {
            SchedulerLog.AskedClientToRestore(_logger, restore.Keys.Count, restore.Worker);
            SendToClient(client, new Envelope { RestoreKeys = restore });
        }

        _pendingRestores.Clear();
    }

    private void RestoreReply(Session session, RestoreReply reply, double now)
    {
        var worker = _workerByAddress.GetValueOrDefault(reply.Worker, -1);
        _state.RestoreFinished(session.Id, worker,
            reply.Restored.Select(k => new KeyValuePair<string, long>(k.Key, (long)k.Nbytes)).ToArray(), reply.Missing, now);
    }
}
