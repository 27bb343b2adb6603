using System.Collections.Concurrent;
using Google.Protobuf;
using Shoal.Code;
using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;
using Shoal.Protocol;
using Shoal.Serialization;
using Shoal.Transfer;

namespace Shoal.Execution;

/// <summary>
/// A worker's view of shipped code: assemblies are fetched from the scheduler the first time a
/// task needs them, kept in a content-addressed store on disk, and loaded into one collectible
/// load context per distinct code set, so two clients with different versions of one assembly
/// each run their own.
/// </summary>
internal sealed partial class WorkerCode : IDisposable
{
    private readonly Func<RpcConnection> _scheduler;
    private readonly CodeLoadContexts _contexts;
    private readonly ConcurrentDictionary<string, Task<CodeContext>> _ready = new(StringComparer.Ordinal);

    /// <param name="scheduler">The current scheduler connection (it changes when the worker reconnects).</param>
    /// <param name="directory">Where to keep code on disk.</param>
    public WorkerCode(Func<RpcConnection> scheduler, string? directory)
    {
        _scheduler = scheduler;
        _contexts = new CodeLoadContexts(new CodeStore(directory));
    }

    /// <summary>The run spec of a task, decoded in the code context its hashes name.</summary>
    public async ValueTask<(TaskRunSpec Run, TypeResolver Resolver)> ResolveAsync(TaskPayload payload, CancellationToken cancellationToken)
    {
        if (payload.Run.Length == 1 && payload.Run[0].IsObject)
        {
            return ((TaskRunSpec)payload.Run[0].Object!, TypeResolver.Default);
        }

        var context = payload.Code.Length == 0 ? CodeContext.Default : await ContextAsync(payload.Code, cancellationToken).ConfigureAwait(false);
        return (TaskRunSpec.Deserialize(payload.Run, context), context.Resolver);
    }

    internal async Task<CodeContext> ContextAsync(ByteString[] code, CancellationToken cancellationToken)
    {
        // A code set's array is shared by every task naming it (CodeSetDefinition), so its hex names and id are worked out once per set, not per task.
        var (hashes, id) = _names.GetValue(code, static c => NamesOf(c));
        for (var attempt = 1; ; attempt++)
        {
            // TryGetValue first, and the factory in another method: a lambda here would capture this method's arguments, a closure per task.
            if (!_ready.TryGetValue(id, out var task)) task = StartLoad(id, code, hashes, cancellationToken);
            try
            {
                return await task.ConfigureAwait(false);
            }
            catch (Exception) when (task.IsFaulted || task.IsCanceled)
            {
                // A failed load is not kept: the next task that needs this code asks again. (Kept, a
                // load cut short by a lost scheduler connection failed every task of that code after the reconnection.)
                _ready.TryRemove(new KeyValuePair<string, Task<CodeContext>>(id, task));
                // Cut short by a connection since replaced by an open one: ask that one.
                if (task.Exception?.InnerException is ConnectionClosedException && !_scheduler().IsClosed && attempt < 3
                    && !cancellationToken.IsCancellationRequested)
                {
                    continue;
                }

                throw;
            }
        }
    }

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ByteString[], Tuple<string[], string>> _names = new();

    private Task<CodeContext> StartLoad(string id, ByteString[] code, string[] hashes, CancellationToken cancellationToken) =>
        _ready.GetOrAdd(id, _ => LoadAsync(code, hashes, cancellationToken));

    private static Tuple<string[], string> NamesOf(ByteString[] code)
    {
        var hashes = Array.ConvertAll(code, h => CodeHash.ToHex(h.Span));
        return Tuple.Create(hashes, CodeSet.IdOf(hashes));
    }

    private async Task<CodeContext> LoadAsync(ByteString[] code, string[] hashes, CancellationToken cancellationToken)
    {
        var missing = new List<ByteString>();
        for (var i = 0; i < hashes.Length; i++)
        {
            if (!_contexts.Store.Has(hashes[i])) missing.Add(code[i]);
        }

        if (missing.Count > 0)
        {
            var scheduler = _scheduler();
            var id = scheduler.NextRequestId();
            var request = new CodeRequest { RequestId = id };
            request.Hashes.AddRange(missing);
            var reply = await scheduler.RequestAsync(id, new Envelope { CodeRequest = request }, default, cancellationToken).ConfigureAwait(false);
            var body = reply.Message.CodeReply;
            if (body.Missing.Count > 0)
            {
                throw new InvalidOperationException($"The scheduler does not have the code this task needs ({body.Missing.Count} assemblies, e.g. {CodeHash.ToHex(body.Missing[0].Span)[..12]}).");
            }

            foreach (var blob in body.Blobs)
            {
                _contexts.Store.Put(CodeHash.ToHex(blob.Hash.Span), reply.Segments.Span[(int)blob.Segment].Bytes.Span);
            }
        }

        return _contexts.GetOrCreate(hashes);
    }

    public void Dispose() => _contexts.Dispose();
}
