using Shoal.Protocol.Messages;

namespace Shoal.Protocol;

/// <summary>
/// Hook for authenticating peers during the handshake. Today only <see cref="NoAuthentication"/>
/// exists; token authentication (HMAC challenge/response through <c>Welcome.challenge</c> and
/// <c>AuthProof</c>) and TLS client certificates will implement this interface.
/// </summary>
public interface IHandshakeAuthenticator
{
    /// <summary>The method name carried in <c>Hello.auth_method</c>: "none", "token", "tls".</summary>
    string Method { get; }

    /// <summary>Connecting side: fills the Hello's credentials (auth method, nonce, claims).</summary>
    ValueTask PrepareHelloAsync(Hello hello, CancellationToken cancellationToken);

    /// <summary>
    /// Accepting side: checks the Hello's credentials, and may fill the Welcome (e.g. a challenge).
    /// Returns null to accept, or the reason to refuse.
    /// </summary>
    ValueTask<string?> AuthenticateAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken);
}

/// <summary>No authentication: every peer is accepted with the role it claims.</summary>
public sealed class NoAuthentication : IHandshakeAuthenticator
{
    /// <summary>The single instance.</summary>
    public static NoAuthentication Instance { get; } = new();

    private NoAuthentication() { }

    /// <inheritdoc />
    public string Method => "none";

    /// <inheritdoc />
    public ValueTask PrepareHelloAsync(Hello hello, CancellationToken cancellationToken)
    {
        hello.AuthMethod = Method;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<string?> AuthenticateAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken) =>
        ValueTask.FromResult<string?>(null);
}
