using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm;

/// <summary>Settings of one end of a connection (both the connecting and the accepting side).</summary>
internal class ConnectionOptions
{
    /// <summary>The role this end announces in the handshake (scheduler, worker, client...).</summary>
    public Role Role { get; set; } = Role.Unspecified;

    /// <summary>The name this end announces (worker name, client id...).</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// Largest frame accepted from the peer, in bytes after the frame's 4-byte length. A longer
    /// frame closes the connection before any of it is buffered. Also the largest message
    /// (with its segments) <see cref="IConnection.Send"/> accepts. Default 2 GiB - 1.
    /// </summary>
    public long MaxFrameSize { get; set; } = WireFormat.DefaultMaxFrameSize;

    /// <summary>Time the whole handshake may take before the connection is dropped. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Frames are cut at about this many bytes (messages plus segments) so that one burst of
    /// sends does not become one giant frame; a single bigger message still travels whole.
    /// Default 1 MiB.
    /// </summary>
    public int TargetFrameSize { get; set; } = 1024 * 1024;

    /// <summary>Lowest protocol version this end accepts. Default <see cref="ProtocolVersion.Min"/>.</summary>
    public uint MinProtocol { get; set; } = ProtocolVersion.Min;

    /// <summary>Highest protocol version this end speaks. Default <see cref="ProtocolVersion.Max"/>.</summary>
    public uint MaxProtocol { get; set; } = ProtocolVersion.Max;

    /// <summary>The Shoal version this end announces. Default the running assembly's version.</summary>
    public string ShoalVersion { get; set; } = ProtocolVersion.ShoalVersion;

    /// <summary>How this end proves who it is (and checks the peer). Default: no authentication.</summary>
    public IHandshakeAuthenticator Authenticator { get; set; } = NoAuthentication.Instance;

    /// <summary>
    /// Credentials: with a CA and certificates, connections use TLS with mutual authentication
    /// (a tcp:// address is then upgraded to tls://); with a token, the handshake proves it by
    /// HMAC challenge/response. Null: no security (plaintext, no authentication).
    /// </summary>
    public SecurityOptions? Security { get; set; }

    /// <summary>Where connection events (handshake failures, closes with errors) are logged.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>
    /// The listener names an <c>inproc://</c> address is looked up in (or registered in, to listen):
    /// the process's unless the caller passes a network of its own.
    /// </summary>
    public Internal.InprocNetwork InprocNetwork { get; set; } = Internal.InprocNetwork.OfProcess;

    internal void Validate()
    {
        if (Security is not null && Authenticator is NoAuthentication) Authenticator = Security.Authenticator();
        if (MaxFrameSize < 64 || MaxFrameSize > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(MaxFrameSize), MaxFrameSize, "MaxFrameSize must be between 64 bytes and 2 GiB - 1");
        if (HandshakeTimeout <= TimeSpan.Zero && HandshakeTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "HandshakeTimeout must be positive");
        if (TargetFrameSize < 1024)
            throw new ArgumentOutOfRangeException(nameof(TargetFrameSize), TargetFrameSize, "TargetFrameSize must be at least 1 KiB");
        if (MinProtocol > MaxProtocol)
            throw new ArgumentOutOfRangeException(nameof(MinProtocol), $"MinProtocol {MinProtocol} is above MaxProtocol {MaxProtocol}");
    }
}

/// <summary>Settings of a listener: the accepting side's <see cref="ConnectionOptions"/> and more.</summary>
internal sealed class ListenerOptions : ConnectionOptions
{
    /// <summary>
    /// Gives each accepted connection its session id (sent in <c>Welcome.session_id</c>, shown in
    /// <see cref="PeerInfo.SessionId"/> on both ends). Null: no session ids.
    /// </summary>
    public Func<Hello, string>? SessionIdFactory { get; set; }

    /// <summary>
    /// Called (on a thread-pool thread) when an incoming connection fails its handshake: bad
    /// preamble, version mismatch, refused credentials, timeout. Arguments: the remote address and
    /// the error, whose message says why. Also logged.
    /// </summary>
    public Action<string, Exception>? HandshakeFailed { get; set; }

    /// <summary>
    /// Most connections allowed in their handshake at once (not yet authenticated); more are
    /// closed at once and logged, so a flood of idle connections cannot exhaust the listener. Default 256.
    /// </summary>
    public int MaxPendingHandshakes { get; set; } = 256;

    /// <summary>Listen backlog for TCP. Default 512.</summary>
    public int Backlog { get; set; } = 512;
}
