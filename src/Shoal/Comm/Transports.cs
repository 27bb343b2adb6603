using Shoal.Comm.Internal;
using Shoal.Protocol;

namespace Shoal.Comm;

/// <summary>
/// Entry point of the comm layer: connect to or listen on an address, whatever its transport.
/// <code>
/// await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", new() { Role = Role.Scheduler });
/// await using var client = await Transports.ConnectAsync(listener.Address, new() { Role = Role.Client, Name = "c1" });
/// var server = await listener.AcceptAsync();
/// client.Send(new Envelope { Ping = new Ping { RequestId = 1 } });
/// var message = await server!.ReceiveAsync();
/// </code>
/// </summary>
internal static class Transports
{
    /// <summary>The TCP transport (<c>tcp://host:port</c>, or bare <c>host:port</c>).</summary>
    public static ITransport Tcp { get; } = new TcpTransport();

    /// <summary>The in-process transport (<c>inproc://name</c>): messages and segments pass by reference.</summary>
    public static ITransport Inproc { get; } = new InprocTransport();

    /// <summary>TLS over TCP (<c>tls://host:port</c>): needs <see cref="ConnectionOptions.Security"/> with a CA and certificates.</summary>
    public static ITransport Tls { get; } = new TcpTransport(tls: true);

    /// <summary>The transport serving an address's scheme.</summary>
    public static ITransport For(ShoalAddress address) => address.Scheme switch
    {
        "tcp" => Tcp,
        "inproc" => Inproc,
        "tls" => Tls,
        _ => throw new NotSupportedException($"'{address}': no transport for scheme '{address.Scheme}'"),
    };

    /// <summary>
    /// Connects to <paramref name="address"/> and runs the handshake announcing
    /// <paramref name="options"/>' role and name. Throws <see cref="FormatException"/> for a bad
    /// address, <see cref="IOException"/> when the peer cannot be reached,
    /// <see cref="Protocol.HandshakeRefusedException"/> when it refused us (e.g. protocol
    /// version mismatch), <see cref="Protocol.ProtocolException"/> when it is not a Shoal peer,
    /// <see cref="TimeoutException"/> when the handshake took longer than the handshake timeout.
    /// </summary>
    public static Task<IConnection> ConnectAsync(string address, ConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        var parsed = ShoalAddress.Parse(address);
        options ??= new ConnectionOptions();
        options.Validate();
        return For(Secure(parsed, options)).ConnectAsync(parsed, options, cancellationToken);
    }

    /// <summary>
    /// Listens on <paramref name="address"/> (<c>tcp://host:0</c> picks a free port; see
    /// <see cref="IListener.Address"/>). Throws <see cref="FormatException"/> for a bad address
    /// and <see cref="IOException"/> when the address is in use.
    /// </summary>
    public static Task<IListener> ListenAsync(string address, ListenerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var parsed = ShoalAddress.Parse(address);
        options ??= new ListenerOptions();
        options.Validate();
        return For(Secure(parsed, options)).ListenAsync(parsed, options, cancellationToken);
    }

    // Certificates mean TLS: a tcp:// address is served by the tls transport rather than sending in clear.
    private static ShoalAddress Secure(ShoalAddress address, ConnectionOptions options) =>
        address.Scheme == "tcp" && options.Security is { UsesTls: true } ? ShoalAddress.Tls(address.Host, address.Port) : address;
}
