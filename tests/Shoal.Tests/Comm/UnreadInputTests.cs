using Shoal.Comm.Internal;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Comm;

/// <summary>
/// A connection tells whether its peer sent something not handed on yet: how a worker tells a
/// silent scheduler from a process too busy to read what the scheduler sent.
/// </summary>
public class UnreadInputTests
{
    [Fact]
    public async Task A_message_waiting_to_be_received_counts_as_unread_input_until_it_is_received()
    {
        var (listener, client, server) = await CommTestHelpers.PairAsync();
        await using var _ = listener;
        await using var __ = client;
        await using var ___ = server;
        var connection = client.ShouldBeOfType<TcpConnection>();
        connection.HasUnreadInput.ShouldBeFalse();

        server.Send(CommTestHelpers.Ping(1));
        await Eventually.HoldsAsync(() => connection.HasUnreadInput, CommTestHelpers.Patience, "the ping waits unread");
        (await client.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(1UL);
        connection.HasUnreadInput.ShouldBeFalse();
    }
}
