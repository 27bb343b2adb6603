using Shoal.Comm;
using Shoal.Protocol.Messages;

namespace Shoal.Tests.Comm;

/// <summary>Small helpers shared by the comm tests.</summary>
internal static class CommTestHelpers
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static Envelope Ping(ulong id) => new() { Ping = new Ping { RequestId = id } };

    public static ListenerOptions Server(string name = "sched") => new() { Role = Role.Scheduler, Name = name };

    public static ConnectionOptions Client(string name = "c1") => new() { Role = Role.Client, Name = name };

    /// <summary>Starts a listener and a connected pair (client end, server end).</summary>
    public static async Task<(IListener Listener, IConnection Client, IConnection Server)> PairAsync(
        string address = "tcp://127.0.0.1:0", ListenerOptions? server = null, ConnectionOptions? client = null)
    {
        var listener = await Transports.ListenAsync(address, server ?? Server());
        var connect = Transports.ConnectAsync(listener.Address, client ?? Client());
        var accepted = await listener.AcceptAsync().AsTask().WaitAsync(Patience);
        var connection = await connect.WaitAsync(Patience);
        return (listener, connection, accepted!);
    }

    public static async Task<IncomingMessage> ReceiveOneAsync(this IConnection connection)
    {
        var message = await connection.ReceiveAsync().AsTask().WaitAsync(Patience);
        message.ShouldNotBeNull();
        return message.Value;
    }
}
