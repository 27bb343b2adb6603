using System.Threading.Channels;

namespace Shoal.Kubernetes.Operator;

/// <summary>An object to reconcile: its kind, namespace and name.</summary>
internal sealed record ReconcileKey(ShoalKind Kind, string Namespace, string Name)
{
    public override string ToString() => $"{Kind.Kind} {Namespace}/{Name}";
}

/// <summary>
/// The operator's work queue, with client-go's workqueue rules: a key waiting is queued once however
/// often it is added; a key being reconciled is never reconciled by two workers at once, and one
/// added meanwhile runs again after; a key may come back after a delay (a retry's back-off, or a
/// poll of something Kubernetes does not report, like a worker registering).
/// </summary>
internal sealed class ReconcileQueue
{
    private readonly Channel<ReconcileKey> _ready = Channel.CreateUnbounded<ReconcileKey>();
    private readonly HashSet<ReconcileKey> _queued = [];
    private readonly HashSet<ReconcileKey> _running = [];
    private readonly HashSet<ReconcileKey> _again = [];
    private readonly Lock _gate = new();

    public void Add(ReconcileKey key)
    {
        lock (_gate)
        {
            if (_running.Contains(key))
            {
                _again.Add(key);
                return;
            }

            if (_queued.Add(key)) _ready.Writer.TryWrite(key);
        }
    }

    public void AddAfter(ReconcileKey key, TimeSpan delay, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _delayed);
        _ = Task.Delay(delay, cancellationToken).ContinueWith(t =>
        {
            if (!t.IsCanceled) Add(key);
            Interlocked.Decrement(ref _delayed);
        }, TaskScheduler.Default);
    }

    private int _delayed;

    /// <summary>Nothing queued, nothing running, nothing coming back after a delay: only an event or a resync brings work.</summary>
    public bool Idle
    {
        get
        {
            lock (_gate) return _queued.Count == 0 && _running.Count == 0 && _again.Count == 0 && Volatile.Read(ref _delayed) == 0;
        }
    }

    /// <summary>The next key, now marked running until <see cref="Done"/>.</summary>
    public async Task<ReconcileKey> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var key = await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _queued.Remove(key);
                if (_running.Add(key)) return key;
                _again.Add(key);
            }
        }
    }

    public void Done(ReconcileKey key)
    {
        lock (_gate)
        {
            _running.Remove(key);
            if (!_again.Remove(key)) return;
        }

        Add(key);
    }
}
