using Shoal.Protocol;
namespace Shoal.Comm;

/// <summary>
/// One kind of transport (tcp, inproc; tls later): connects to and listens on addresses of its
/// scheme. Every connection it returns has finished its handshake.
/// </summary>
internal interface ITransport
{
    /// <summary>The address scheme it serves, e.g. "tcp".</summary>
    string Scheme { get; }

    /// <summary>Connects and runs the handshake; throws when it fails or is refused.</summary>
    Task<IConnection> ConnectAsync(ShoalAddress address, ConnectionOptions options, CancellationToken cancellationToken);

    /// <summary>Starts listening on the address.</summary>
    Task<IListener> ListenAsync(ShoalAddress address, ListenerOptions options, CancellationToken cancellationToken);
}
