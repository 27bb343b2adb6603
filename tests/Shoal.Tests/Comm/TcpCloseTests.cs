using Shoal.Comm;
using static Shoal.Tests.Comm.CommTestHelpers;

namespace Shoal.Tests.Comm;

public class TcpCloseTests
{
    [Fact]
    public async Task Many_connections_with_traffic_close_cleanly_from_either_side()
    {
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", Server());
        var pairs = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var connecting = Transports.ConnectAsync(listener.Address, Client("c" + i));
            return await connecting.WaitAsync(Patience);
        }));
        var accepted = new List<IConnection>();
        for (var i = 0; i < pairs.Length; i++) accepted.Add((await listener.AcceptAsync().AsTask().WaitAsync(Patience))!);
        var byName = accepted.ToDictionary(c => c.Peer.Name);

        await Task.WhenAll(pairs.Select(async (client, i) =>
        {
            var server = byName["c" + i];
            var (sender, receiver) = i % 2 == 0 ? (client, server) : (server, client);
            for (var n = 0; n < 1000; n++) sender.Send(Ping((ulong)n), n % 10 == 0 ? [new byte[100]] : default);
            await sender.CloseAsync("done");
            for (var n = 0; n < 1000; n++) (await receiver.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe((ulong)n);
            (await receiver.ReceiveAsync().AsTask().WaitAsync(Patience)).ShouldBeNull();
            await Task.WhenAll(sender.Closed, receiver.Closed).WaitAsync(Patience);
        }));
    }

    [Fact]
    public async Task Closing_while_the_peer_floods_us_still_finishes()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        using var stop = new CancellationTokenSource();
        var payload = new byte[64 * 1024];
        var flooding = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    for (var i = 0; i < 100; i++) accepted.Send(Ping(1), [payload]);
                    await accepted.FlushAsync();
                }
            }
            catch (ConnectionClosedException)
            {
                // Expected once the client has closed.
            }
        });
        (await client.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(1UL);

        await client.CloseAsync("enough").AsTask().WaitAsync(Patience);
        await accepted.Closed.WaitAsync(Patience);
        stop.Cancel();
        await flooding.WaitAsync(Patience);
        // What had already arrived may still be read, then the end.
        var drained = 0;
        while (await client.ReceiveAsync().AsTask().WaitAsync(Patience) is not null) drained++;
        drained.ShouldBeLessThan(10_000);
    }

    [Fact]
    public async Task Dispose_during_a_pending_receive_returns_null()
    {
        var (listener, client, accepted) = await PairAsync();
        await using var _ = listener;
        await using var __ = accepted;
        var pending = client.ReceiveAsync().AsTask();
        await client.DisposeAsync();
        (await pending.WaitAsync(Patience)).ShouldBeNull();
        (await accepted.ReceiveAsync().AsTask().WaitAsync(Patience)).ShouldBeNull();
    }
}
