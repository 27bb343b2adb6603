using System.Security.Cryptography;
using Google.Protobuf;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>
/// Shared-secret authentication in the handshake: the Hello claims a role and carries a nonce, the
/// accepting side answers with a random challenge, the connecting side proves it holds that role's
/// key with an HMAC over both (<see cref="ClusterToken.Proof"/>). Keys never travel.
/// </summary>
internal sealed class TokenAuthenticator : IHandshakeAuthenticator
{
    private readonly ClusterToken _token;

    public TokenAuthenticator(ClusterToken token) => _token = token;

    public string Method => "token";

    public ValueTask PrepareHelloAsync(Hello hello, CancellationToken cancellationToken)
    {
        // A token that cannot prove hello.Role still says what it is: the accepting side refuses it, naming both.
        hello.AuthMethod = Method;
        hello.Nonce = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32));
        hello.Claims["role"] = RoleNames.Of(_token.IsClusterSecret ? hello.Role : _token.Role);
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> AuthenticateAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken)
    {
        if (!CertificateRoles.TryParse(hello.Claims.GetValueOrDefault("role"), out var claimed))
            return ValueTask.FromResult<string?>("the token claims no role");
        if (!CertificateRoles.MayClaim(claimed, hello.Role))
            return ValueTask.FromResult<string?>($"a {RoleNames.Of(claimed)} credential may not connect as {RoleNames.Of(hello.Role)}");
        if (hello.Nonce.Length != 32)
            return ValueTask.FromResult<string?>("the hello carries no 32-byte nonce");
        if (_token.KeyFor(hello.Role == Role.Peer ? Role.Peer : claimed) is null)
            return ValueTask.FromResult<string?>($"this endpoint does not accept {RoleNames.Of(hello.Role)} connections");
        welcome.Challenge = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32));
        return ValueTask.FromResult<string?>(null);
    }

    public ValueTask<AuthProof> AnswerChallengeAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken)
    {
        if (welcome.Challenge.Length != 32) throw new ProtocolException("the peer sent a malformed authentication challenge");
        var key = KeyOf(hello) ?? throw new InvalidOperationException($"this token cannot prove the {RoleNames.Of(hello.Role)} role");
        var proof = ClusterToken.Proof(key, welcome.Challenge.Span, hello.Nonce.Span, hello);
        return ValueTask.FromResult(new AuthProof { Proof = ByteString.CopyFrom(proof) });
    }

    public ValueTask<string?> VerifyProofAsync(Hello hello, Welcome welcome, AuthProof proof, CancellationToken cancellationToken)
    {
        var key = KeyOf(hello);
        if (key is null) return ValueTask.FromResult<string?>("the token does not match this cluster");
        var expected = ClusterToken.Proof(key, welcome.Challenge.Span, hello.Nonce.Span, hello);
        return ValueTask.FromResult<string?>(CryptographicOperations.FixedTimeEquals(expected, proof.Proof.Span)
            ? null
            : "the token does not match this cluster (wrong token or wrong role)");
    }

    // Peer connections prove the peer key; others the key of the role they claim.
    private byte[]? KeyOf(Hello hello)
    {
        if (hello.Role == Role.Peer) return _token.KeyFor(Role.Peer);
        return CertificateRoles.TryParse(hello.Claims.GetValueOrDefault("role"), out var role) && role == hello.Role
            ? _token.KeyFor(role)
            : null;
    }
}
