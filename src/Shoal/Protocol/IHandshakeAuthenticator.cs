using Shoal.Protocol.Messages;

namespace Shoal.Protocol;

/// <summary>
/// Hook for authenticating peers during the handshake. Today only <see cref="NoAuthentication"/>
/// exists; token authentication (HMAC challenge/response) and TLS client certificates will
/// implement this interface. The flow it drives:
/// <list type="number">
/// <item>connecting side: <see cref="PrepareHelloAsync"/> fills the Hello (method, nonce, claims);</item>
/// <item>accepting side: <see cref="AuthenticateAsync"/> accepts, refuses, or sets <c>Welcome.challenge</c>;</item>
/// <item>when challenged, the connecting side answers with <see cref="AnswerChallengeAsync"/> (an
/// <c>AuthProof</c>), the accepting side checks it with <see cref="VerifyProofAsync"/> and sends a
/// final Welcome (without challenge) or a Refusal.</item>
/// </list>
/// Both ends use the same authenticator type (it is configured in <c>ConnectionOptions</c>).
/// </summary>
internal interface IHandshakeAuthenticator
{
    /// <summary>The method name carried in <c>Hello.auth_method</c>: "none", "token", "tls".</summary>
    string Method { get; }

    /// <summary>Connecting side: fills the Hello's credentials (auth method, nonce, claims).</summary>
    ValueTask PrepareHelloAsync(Hello hello, CancellationToken cancellationToken);

    /// <summary>
    /// Accepting side: checks the Hello, and may set <c>welcome.Challenge</c> to ask for a proof.
    /// Returns null to go on, or the reason to refuse.
    /// </summary>
    ValueTask<string?> AuthenticateAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken);

    /// <summary>Connecting side: answers the challenge in <paramref name="welcome"/>.</summary>
    ValueTask<AuthProof> AnswerChallengeAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken);

    /// <summary>Accepting side: checks the proof. Returns null to accept, or the reason to refuse.</summary>
    ValueTask<string?> VerifyProofAsync(Hello hello, Welcome welcome, AuthProof proof, CancellationToken cancellationToken);

    /// <summary>
    /// Connecting side, on the listener's final Welcome: <paramref name="challenged"/> says whether
    /// the listener asked for (and proved itself with) a challenge. Returns null to go on, or why
    /// this end will not talk to that listener (a method that proves both ways refuses one that
    /// skipped the challenge: it cannot have known the secret).
    /// </summary>
    string? CheckListener(Hello hello, Welcome welcome, bool challenged) => null;
}

/// <summary>No authentication: every peer is accepted with the role it claims.</summary>
internal sealed class NoAuthentication : IHandshakeAuthenticator
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

    /// <inheritdoc />
    public ValueTask<AuthProof> AnswerChallengeAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken) =>
        throw new ProtocolException("the peer asked for an authentication proof, but this end has no credentials configured");

    /// <inheritdoc />
    public ValueTask<string?> VerifyProofAsync(Hello hello, Welcome welcome, AuthProof proof, CancellationToken cancellationToken) =>
        ValueTask.FromResult<string?>(null);
}
