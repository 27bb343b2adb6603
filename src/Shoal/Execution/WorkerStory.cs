using Shoal.Util;

namespace Shoal.Execution;

/// <summary>One transition of a key on a worker: states, the event (stimulus) that caused it, and when (the worker's clock, seconds).</summary>
/// <param name="Key">The key.</param>
/// <param name="From">The state it left.</param>
/// <param name="To">The state it entered.</param>
/// <param name="StimulusId">The event's number on this worker (all transitions of one event share it).</param>
/// <param name="Cause">The event, as Dask names it: compute-task, task-finished, task-erred, free-keys, gather-dep-success, …</param>
/// <param name="Detail">More about the event: an error, a failed peer.</param>
/// <param name="Time">The event's time on the worker's clock (seconds).</param>
internal readonly record struct WorkerTransition(string Key, WorkerTaskState From, WorkerTaskState To, long StimulusId, string Cause, string? Detail, double Time);

/// <summary>
/// The story of the keys on one worker: the latest transitions of all keys in a ring of structs
/// that grows by doubling up to its length and then wraps, as the scheduler's. Recording stores
/// the key's hash (not the key: see <see cref="Util.StoryKeyHash"/>) and a literal cause,
/// and allocates nothing once grown; reading scans the ring.
/// </summary>
internal sealed class WorkerStory(int length)
{
    private Entry[] _ring = [];
    private long _count;
    private long _stimulusId;
    private string _cause = "";
    private object? _detail;
    private double _time;

    private struct Entry
    {
        public ulong KeyHash;
        public string Cause;
        public object? Detail;
        public long Stimulus;
        public double Time;
        public WorkerTaskState From, To;
    }

    /// <summary>Starts an event: the transitions it causes record it.</summary>
    public void Stimulus(string cause, double now, object? detail = null)
    {
        _stimulusId++;
        _cause = cause;
        _detail = detail;
        _time = now;
    }

    /// <summary>Starts an event that carries no clock (the last event's time stands in).</summary>
    public void Stimulus(string cause) => Stimulus(cause, _time);

    public void Record(string key, WorkerTaskState from, WorkerTaskState to)
    {
        var capacity = _ring.Length;
        if (_count >= capacity && capacity < length)
        {
            Array.Resize(ref _ring, Math.Min(capacity == 0 ? 256 : capacity * 2, length));
            capacity = _ring.Length;
        }

        if (capacity == 0) return;
        ref var e = ref _ring[_count++ % capacity];
        e.KeyHash = Util.StoryKeyHash.Of(key);
        e.From = from;
        e.To = to;
        e.Cause = _cause;
        e.Detail = _detail;
        e.Stimulus = _stimulusId;
        e.Time = _time;
    }

    public IReadOnlyList<WorkerTransition> Of(string key)
    {
        var result = new List<WorkerTransition>();
        var capacity = _ring.Length;
        var hash = Util.StoryKeyHash.Of(key);
        for (var i = Math.Max(0, _count - capacity); i < _count; i++)
        {
            ref var e = ref _ring[i % capacity];
            if (e.KeyHash == hash)
                result.Add(new WorkerTransition(key, e.From, e.To, e.Stimulus, e.Cause, Describe(e.Detail), e.Time));
        }

        return result;
    }

    private static string? Describe(object? detail) => detail?.ToString(); // an error says "Type: message" (TaskErrorPayload.ToString)
}
