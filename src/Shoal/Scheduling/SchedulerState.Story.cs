using Shoal.Transfer;

using Shoal.Util;

namespace Shoal.Scheduling;

// The story of a key (Dask's story()): every transition, where, when and why. One global ring of
// structs, as Dask's transition_log: recording copies a struct of references the state already
// holds and allocates nothing; the ring grows by doubling up to SchedulerConfig.StoryLength, so a
// short-lived state (tests, simulations) stays small. A story is read by scanning the ring: a
// rare call, which may then cost a millisecond, so that the hot path pays nothing for an index.
// A record holds the key's 64-bit hash, not the key: a reference from the long-lived ring to each
// young key string would keep keys alive and make every gen0 collection scan the ring's cards.
internal sealed partial class SchedulerState
{
    private StoryRecord[] _story = [];
    private long _storyCount;
    private long _stimulusId;
    private StoryCause _stimulusCause;
    private string? _stimulusWorker;
    private object? _stimulusDetail;
    private double _stimulusTime;

    private struct StoryRecord
    {
        public ulong KeyHash;
        public string? Worker;
        public object? Detail;
        public long Stimulus;
        public double Time;
        public TaskState From, To;
        public StoryCause Cause;
    }

    /// <summary>The id of the latest event (stimulus) fed to the state.</summary>
    public long LastStimulusId => _stimulusId;

    /// <summary>Starts an event: the transitions it causes record it as their stimulus.</summary>
    private void Stimulus(StoryCause cause, double now, int worker = -1, object? detail = null)
    {
        _stimulusId++;
        _stimulusCause = cause;
        _stimulusWorker = WorkerOrNull(worker)?.Spec.Name;
        _stimulusDetail = detail;
        _stimulusTime = now;
    }

    /// <summary>Starts an event that carries no clock (the last event's time stands in).</summary>
    private void Stimulus(StoryCause cause) => Stimulus(cause, _stimulusTime);

    private void RecordTransition(int task, TaskState from, TaskState to, string? worker = null, object? detail = null)
    {
        var capacity = _story.Length;
        if (_storyCount >= capacity && capacity < _config.StoryLength)
        {
            // Still growing: the ring has not wrapped yet, so its entries are in order from 0.
            Array.Resize(ref _story, Math.Min(capacity == 0 ? 256 : capacity * 2, _config.StoryLength));
            capacity = _story.Length;
        }

        if (capacity == 0) return; // stories are off
        ref var r = ref _tasks[task];

        ref var e = ref _story[_storyCount++ % capacity];
        e.KeyHash = StoryKeyHash.Of(r.Key);
        e.From = from;
        e.To = to;
        e.Worker = worker ?? (to == TaskState.Processing && r.ProcessingOn >= 0 ? _workers[r.ProcessingOn]!.Spec.Name : _stimulusWorker);
        e.Detail = detail ?? _stimulusDetail;
        e.Stimulus = _stimulusId;
        e.Cause = _stimulusCause;
        e.Time = _stimulusTime;
    }

    /// <summary>
    /// The transitions of <paramref name="key"/> the scheduler still remembers, oldest first (the
    /// latest <see cref="SchedulerConfig.StoryLength"/> transitions of all keys are kept).
    /// </summary>
    public IReadOnlyList<SchedulerTransition> StoryOf(string key)
    {
        var result = new List<SchedulerTransition>();
        var capacity = _story.Length;
        var first = Math.Max(0, _storyCount - capacity);
        var hash = StoryKeyHash.Of(key);
        for (var i = first; i < _storyCount; i++)
        {
            ref var e = ref _story[i % capacity];
            if (e.KeyHash != hash) continue;
            result.Add(new SchedulerTransition(key, e.From, e.To, e.Worker, e.Stimulus, e.Cause, Describe(e.Detail), e.Time));
        }

        return result;
    }

    private static string? Describe(object? detail) => detail?.ToString(); // an error says "Type: message" (TaskErrorPayload.ToString)
}
