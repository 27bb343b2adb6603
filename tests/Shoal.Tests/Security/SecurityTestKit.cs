using Shoal.Comm;
using Shoal.Protocol.Messages;
using Shoal.Tests.Comm;

namespace Shoal.Tests.Security;

/// <summary>Shared credentials and helpers (creating a CA costs milliseconds; share one per test run).</summary>
internal static class SecurityTestKit
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>One cluster's CA and certificates for the whole run.</summary>
    public static SecurityOptions Cluster { get; } = SecurityOptions.Temporary();

    /// <summary>Another cluster's: signed by a different CA.</summary>
    public static SecurityOptions OtherCluster { get; } = SecurityOptions.Temporary();

    public static ListenerOptions Server(SecurityOptions? security, CapturingLoggerFactory? logs = null, Action<string, Exception>? failed = null)
    {
        var options = new ListenerOptions { Role = Role.Scheduler, Name = "sched", Security = security, HandshakeFailed = failed, HandshakeTimeout = TimeSpan.FromSeconds(5) };
        if (logs is not null) options.LoggerFactory = logs;
        return options;
    }

    public static ConnectionOptions Client(SecurityOptions? security, Role role = Role.Client) =>
        new() { Role = role, Name = "c-" + role, Security = security, HandshakeTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>A good client still gets through and a ping travels both ways.</summary>
    public static async Task AssertServesGoodClientAsync(IListener listener, SecurityOptions? security)
    {
        var connect = Transports.ConnectAsync(listener.Address, Client(security));
        var accepted = await listener.AcceptAsync().AsTask().WaitAsync(Patience);
        await using var client = await connect.WaitAsync(Patience);
        await using var server = accepted!;
        client.Send(CommTestHelpers.Ping(42));
        (await server.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(42UL);
        server.Send(CommTestHelpers.Ping(43));
        (await client.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(43UL);
    }

    /// <summary>Collects handshake failures reported by a listener, with a way to wait for the next one.</summary>
    public sealed class Failures
    {
        private readonly System.Threading.Channels.Channel<(string Remote, Exception Error)> _seen = System.Threading.Channels.Channel.CreateUnbounded<(string, Exception)>();

        public void Report(string remote, Exception error) => _seen.Writer.TryWrite((remote, error));

        public async Task<(string Remote, Exception Error)> NextAsync() => await _seen.Reader.ReadAsync().AsTask().WaitAsync(Patience);
    }
}
