namespace Shoal.Execution;

// The result journal (a worker under a nanny): small results also go to a file in tmpfs that outlives
// this process, and a replacement takes back what its dead predecessor left there, registering with
// those keys, so the scheduler does not recompute them.
internal sealed partial class WorkerServer
{
    private IReadOnlyList<WorkerInstruction> _recoveredInstructions = [];

    /// <summary>
    /// Before registering: opens the journal when the nanny gave one, puts what it held into the store and
    /// the state, and returns those keys to register with. Nothing (at no cost) without a journal.
    /// </summary>
    private KeyValuePair<string, long>[] OpenJournal()
    {
        if (_options.JournalPath is not { Length: > 0 } path) return [];
        ResultJournal journal;
        IReadOnlyList<KeyValuePair<string, Transfer.EncodedValue>> recovered;
        try
        {
            (journal, recovered) = ResultJournal.Open(path, ResultJournal.CapFor(_options.MemoryLimit),
                capReached: cap => WorkerLog.JournalFull(_logger, _options.Name, cap),
                failed: reason => WorkerLog.JournalFailed(_logger, _options.Name, path, reason));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WorkerLog.JournalUnavailable(_logger, _options.Name, path, e.Message);
            return [];
        }

        var held = new KeyValuePair<string, long>[recovered.Count];
        for (var i = 0; i < held.Length; i++)
        {
            var (key, value) = recovered[i];
            _store.PutRecovered(key, value);
            held[i] = new(key, value.Nbytes);
        }

        _store.Journal = journal;
        if (held.Length > 0)
        {
            _recoveredInstructions = _state.DataPut(held, Now);
            WorkerLog.JournalRecovered(_logger, _options.Name, held.Length, held.Sum(h => h.Value), path);
            _instruments.JournalRecovered(held.Length, held.Sum(h => h.Value));
        }

        return held;
    }
}
