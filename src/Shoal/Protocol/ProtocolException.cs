namespace Shoal.Protocol;

/// <summary>
/// Thrown when a peer breaks the wire protocol: a malformed or oversized frame, a bad handshake
/// preamble, an incompatible protocol version. The message says what was wrong.
/// </summary>
internal class ProtocolException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ProtocolException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Thrown on the connecting side when the accepting side refused the handshake.</summary>
internal sealed class HandshakeRefusedException : ProtocolException
{
    /// <summary>Creates the exception.</summary>
    public HandshakeRefusedException(string message, Messages.Refusal refusal) : base(message) => Refusal = refusal;

    /// <summary>The refusal the accepting side sent.</summary>
    public Messages.Refusal Refusal { get; }
}
