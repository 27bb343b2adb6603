using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>
/// The handshake side of certificate authentication: the TLS layer already proved who the peer
/// is (its certificate, signed by the cluster CA, names its role); the handshake only announces
/// the method. The transport checks the Hello's role against the certificate's.
/// </summary>
internal sealed class TlsAuthenticator : IHandshakeAuthenticator
{
    public static TlsAuthenticator Instance { get; } = new();

    public string Method => "tls";

    public ValueTask PrepareHelloAsync(Hello hello, CancellationToken cancellationToken)
    {
        hello.AuthMethod = Method;
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> AuthenticateAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken) =>
        ValueTask.FromResult<string?>(null);

    public ValueTask<AuthProof> AnswerChallengeAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken) =>
        throw new ProtocolException("the peer asked for a token proof, but this end authenticates with its TLS certificate only");

    public ValueTask<string?> VerifyProofAsync(Hello hello, Welcome welcome, AuthProof proof, CancellationToken cancellationToken) =>
        ValueTask.FromResult<string?>(null);
}
