using Google.Protobuf;
using Shoal.Protocol.Messages;
using Shoal.Protocol;

namespace Shoal.ClientSide;

/// <summary>
/// What the client tells the scheduler, in the order it was said. Submissions made while a send
/// is under way are batched into one <see cref="UpdateGraph"/>, so a <c>Map</c> of 100,000 items,
/// or 100,000 calls to <c>Submit</c> in a loop, cost a handful of frames. Code a task needs goes
/// to the scheduler before the first task that needs it, once per client and only when the
/// scheduler lacks it.
/// </summary>
internal sealed class ClientOutbox
{
    private readonly Client _client;
    private readonly object _lock = new();
    private readonly HashSet<string> _codeOnScheduler = new(StringComparer.Ordinal);
    // The same assemblies, readable from any thread: the code this client's tasks use (Client.GetVersionsAsync).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ShippedAssembly> _shipped = new(StringComparer.Ordinal);

    /// <summary>Every assembly this client's tasks have needed on the workers so far.</summary>
    internal IEnumerable<ShippedAssembly> ShippedCode => _shipped.Values;
    private readonly CodeSetNumbers<ShippedAssembly[]> _codeSets = new();
    private List<Op> _pending = new();
    private bool _flushing;
    private TaskCompletionSource? _idle;

    public ClientOutbox(Client client) => _client = client;

    public void Submit(TaskSpec spec, Segment[] run, ShippedAssembly[] code) => Enqueue(new Op(OpKind.Task, spec, run, code, null, null));

    /// <summary>Queues several tasks at once, so that they reach the scheduler in one graph update (a graph's unwanted intermediates must arrive with their dependents, or the scheduler forgets them first).</summary>
    public void SubmitAll(IReadOnlyList<(TaskSpec Spec, Segment[] Run, ShippedAssembly[] Code)> tasks)
    {
        if (tasks.Count == 0) return;
        lock (_lock)
        {
            foreach (var (spec, run, code) in tasks) _pending.Add(new Op(OpKind.Task, spec, run, code, null, null));
            if (_flushing) return;
            _flushing = true;
        }

        _ = Task.Run(FlushLoopAsync);
    }

    public void Release(string key) => Enqueue(new Op(OpKind.Release, null, null, null, key, null));

    public void Send(Envelope message, Segment[]? segments = null) => Enqueue(new Op(OpKind.Message, null, segments, null, null, message));

    /// <summary>Completes when everything enqueued so far was handed to the connection.</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            if (!_flushing && _pending.Count == 0) return Task.CompletedTask;
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    private void Enqueue(Op op)
    {
        lock (_lock)
        {
            _pending.Add(op);
            if (_flushing) return;
            _flushing = true;
        }

        _ = Task.Run(FlushLoopAsync);
    }

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            List<Op> batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _flushing = false;
                    _idle?.TrySetResult();
                    _idle = null;
                    return;
                }

                batch = _pending;
                _pending = new List<Op>(Math.Min(batch.Count, 1024));
            }

            try
            {
                await SendAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                ClientLog.SendFailed(_client.Logger, e.Message);
            }
        }
    }

    private async Task SendAsync(List<Op> batch)
    {
        var rpc = _client.Scheduler;
        var i = 0;
        while (i < batch.Count)
        {
            var kind = batch[i].Kind;
            var j = i;
            while (j < batch.Count && batch[j].Kind == kind && kind != OpKind.Message) j++;
            if (kind == OpKind.Message)
            {
                rpc.Send(batch[i].Message!, batch[i].Segments);
                i++;
                continue;
            }

            if (kind == OpKind.Release)
            {
                var release = new ReleaseKeys();
                for (var k = i; k < j; k++) release.Keys.Add(batch[k].Key!);
                rpc.Send(new Envelope { ReleaseKeys = release });
            }
            else
            {
                await EnsureCodeAsync(batch, i, j).ConfigureAwait(false);
                var update = new UpdateGraph();
                // Sized for the batch (tasks of one Map have as many segments each): growing by doubling copied each segment twice on average.
                var segments = new List<Segment>((j - i) * batch[i].Segments!.Length);
                for (var k = i; k < j; k++)
                {
                    var spec = batch[k].Spec!;
                    var run = batch[k].Segments!;
                    spec.RunFirstSegment = (uint)segments.Count;
                    spec.RunSegmentCount = (uint)run.Length;
                    spec.CodeSet = CodeSetOf(batch[k].Code!);
                    segments.AddRange(run);
                    update.Tasks.Add(spec);
                }

                rpc.Send(new Envelope { UpdateGraph = update }, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(segments));
                _client.Instruments.Submitted(j - i);
            }

            i = j;
        }
    }

    /// <summary>
    /// The number this connection knows a task's code by: the client's code sets are one shared
    /// array per set (Client.CodeOf), so a reference lookup finds it; a new one is defined to the
    /// scheduler first (its message goes ahead of the graph update on the same connection).
    /// </summary>
    private uint CodeSetOf(ShippedAssembly[] code)
    {
        if (code.Length == 0) return 0;
        if (_codeSets.TryGet(code, out var id)) return id;
        id = _codeSets.Add(code);
        var definition = new CodeSetDefinition { Id = id };
        foreach (var assembly in code) definition.Hashes.Add(assembly.HashBytes);
        _client.Scheduler.Send(new Envelope { CodeSetDefinition = definition });
        return id;
    }

    /// <summary>Uploads the code the tasks in batch[from..to) need and the scheduler lacks.</summary>
    private async Task EnsureCodeAsync(List<Op> batch, int from, int to)
    {
        Dictionary<string, ShippedAssembly>? unknown = null;
        for (var k = from; k < to; k++)
        {
            foreach (var assembly in batch[k].Code!)
            {
                if (_codeOnScheduler.Contains(assembly.HashHex)) continue;
                (unknown ??= new(StringComparer.Ordinal)).TryAdd(assembly.HashHex, assembly);
            }
        }

        if (unknown is null) return;
        var rpc = _client.Scheduler;
        var id = rpc.NextRequestId();
        var ask = new HasCodeRequest { RequestId = id };
        foreach (var assembly in unknown.Values) ask.Hashes.Add(assembly.HashBytes);
        var reply = await rpc.RequestAsync(id, new Envelope { HasCode = ask }, default, CancellationToken.None).ConfigureAwait(false);
        var missing = reply.Message.HasCodeReply.Missing.Select(h => Convert.ToHexString(h.Span)).ToHashSet(StringComparer.Ordinal);
        if (missing.Count > 0)
        {
            var upload = new UploadCode { RequestId = rpc.NextRequestId() };
            var segments = new List<Segment>();
            foreach (var assembly in unknown.Values.Where(a => missing.Contains(a.HashHex)))
            {
                upload.Blobs.Add(new CodeBlob { Hash = assembly.HashBytes, Name = assembly.Name, Segment = (uint)segments.Count });
                segments.Add(new Segment(assembly.ReadBytes()));
            }

            rpc.Send(new Envelope { UploadCode = upload }, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(segments));
        }

        foreach (var (hash, assembly) in unknown)
        {
            _codeOnScheduler.Add(hash);
            _shipped.TryAdd(hash, assembly);
        }
    }

    private enum OpKind { Task, Release, Message }

    // A struct: one per task queued, so a class cost an object per task (the list holds them inline).
    private readonly record struct Op(OpKind Kind, TaskSpec? Spec, Segment[]? Segments, ShippedAssembly[]? Code, string? Key, Envelope? Message);
}

/// <summary>An assembly a task needs on the workers, addressed by the SHA-256 of its bytes.</summary>
/// <param name="Hash">SHA-256 of the file.</param>
/// <param name="Name">Its simple name (for messages).</param>
/// <param name="Source">Where the client reads it from (an assembly file, or a native library with its header).</param>
internal sealed record ShippedAssembly(byte[] Hash, string Name, Shoal.Code.CodeAssembly Source)
{
    public string HashHex { get; } = Convert.ToHexString(Hash);

    /// <summary>The hash as protobuf bytes, made once: every task naming this code carries it (immutable, so shared).</summary>
    public ByteString HashBytes { get; } = ByteString.CopyFrom(Hash);

    public byte[] ReadBytes() => Source.ReadBytes();
}
