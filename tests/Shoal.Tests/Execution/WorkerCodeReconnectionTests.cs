using Google.Protobuf;
using Shoal.Code;
using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Execution;
using Shoal.Protocol.Messages;
using Shoal.Protocol;
using Shoal.Tests.Comm;

namespace Shoal.Tests.Execution;

/// <summary>
/// A worker fetches the code of a task from its scheduler; a fetch cut short by a lost scheduler
/// connection must not fail the tasks that need that code once the worker is connected again.
/// </summary>
public sealed class WorkerCodeReconnectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("shoal-code-test-").FullName;
    private readonly byte[] _assembly = File.ReadAllBytes(typeof(Shouldly.Should).Assembly.Location);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ByteString[] Code => [ByteString.CopyFrom(CodeHash.ToBytes(CodeHash.Of(_assembly)))];

    /// <summary>The scheduler's end: takes one code request, then answers it or hangs up.</summary>
    private async Task ServeOneRequestAsync(IConnection scheduler, bool answer)
    {
        var request = (await scheduler.ReceiveOneAsync()).Message.CodeRequest;
        request.ShouldNotBeNull();
        if (!answer)
        {
            await scheduler.CloseAsync("lost for a test");
            return;
        }

        var reply = new CodeReply { RequestId = request.RequestId };
        reply.Blobs.Add(new CodeBlob { Hash = request.Hashes[0], Name = "Shouldly.dll", Segment = 0 });
        scheduler.Send(new Envelope { CodeReply = reply }, [new Segment(_assembly)]);
    }

    /// <summary>The worker's connection to its scheduler before and after a reconnection, with the scheduler's ends.</summary>
    private sealed record Links(IAsyncDisposable[] Owned, RpcConnection First, IConnection FirstServer, RpcConnection Second, IConnection SecondServer) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var owned in Owned) await owned.DisposeAsync();
        }
    }

    private static async Task<Links> TwoLinksAsync()
    {
        var (listener1, client1, server1) = await CommTestHelpers.PairAsync();
        var (listener2, client2, server2) = await CommTestHelpers.PairAsync();
        var first = new RpcConnection(client1, null);
        var second = new RpcConnection(client2, null);
        return new Links([first, second, server1, server2, listener1, listener2], first, server1, second, server2);
    }

    [Fact]
    public async Task A_fetch_lost_with_its_connection_is_asked_again_by_the_next_task()
    {
        await using var links = await TwoLinksAsync();
        var current = links.First;
        using var code = new WorkerCode(() => current, _directory);

        var hangUp = ServeOneRequestAsync(links.FirstServer, answer: false);
        await Should.ThrowAsync<ConnectionClosedException>(() => code.ContextAsync(Code, default).WaitAsync(CommTestHelpers.Patience));
        await hangUp;

        current = links.Second; // reconnected
        var answer = ServeOneRequestAsync(links.SecondServer, answer: true);
        (await code.ContextAsync(Code, default).WaitAsync(CommTestHelpers.Patience)).ShouldNotBeNull();
        await answer;
    }

    [Fact]
    public async Task A_fetch_cut_short_after_the_worker_reconnected_is_asked_again_of_the_new_connection()
    {
        await using var links = await TwoLinksAsync();
        var current = links.First;
        using var code = new WorkerCode(() => current, _directory);

        var loading = code.ContextAsync(Code, default);
        (await links.FirstServer.ReceiveOneAsync()).Message.CodeRequest.ShouldNotBeNull();
        current = links.Second; // the worker registered again while the old connection still had the request
        var answer = ServeOneRequestAsync(links.SecondServer, answer: true);
        await links.FirstServer.CloseAsync("lost for a test");

        (await loading.WaitAsync(CommTestHelpers.Patience)).ShouldNotBeNull();
        await answer;
    }
}
