using System.Security.Authentication;
using System.Security.Cryptography;
using Google.Protobuf;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>
/// Shared-secret authentication in the handshake, proved both ways: the Hello claims a role and
/// carries the connecting side's nonce; the Welcome carries the listener's challenge and the
/// listener's proof that it holds the key of that role; only when that proof checks out does the
/// connecting side answer with its own proof (<see cref="ClusterToken.Proof"/>, labelled by
/// direction so neither proof can be reflected as the other). Keys never travel. A listener that
/// does not know the token learns nothing it could use and gets nothing: no proof, no message.
/// </summary>
internal sealed class TokenAuthenticator : IHandshakeAuthenticator
{
    /// <summary>The token proof revision this build speaks: 2, mutual (1 was one-way and is refused both ways).</summary>
    public const uint AuthVersion = 2;

    private readonly ClusterToken _token;

    public TokenAuthenticator(ClusterToken token) => _token = token;

    public string Method => "token";

    public ValueTask PrepareHelloAsync(Hello hello, CancellationToken cancellationToken)
    {
        // A token that cannot prove hello.Role still says what it is: the accepting side refuses it, naming both.
        hello.AuthMethod = Method;
        hello.AuthVersion = AuthVersion;
        hello.Nonce = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32));
        hello.Claims["role"] = RoleNames.Of(_token.IsClusterSecret ? hello.Role : _token.Role);
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> AuthenticateAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken)
    {
        if (hello.AuthVersion != AuthVersion)
            return Refuse($"token authentication version {Math.Max(1, hello.AuthVersion)} not supported, this end speaks version {AuthVersion} "
                + "(mutual proof): run the same Shoal version on both sides");
        if (!CertificateRoles.TryParse(hello.Claims.GetValueOrDefault("role"), out var claimed))
            return Refuse("the token claims no role");
        if (!CertificateRoles.MayClaim(claimed, hello.Role))
            return Refuse($"a {RoleNames.Of(claimed)} credential may not connect as {RoleNames.Of(hello.Role)}");
        if (hello.Nonce.Length != 32)
            return Refuse("the hello carries no 32-byte nonce");
        var key = KeyOf(hello);
        if (key is null)
            return Refuse($"this endpoint does not accept {RoleNames.Of(hello.Role)} connections");
        var challenge = RandomNumberGenerator.GetBytes(32);
        welcome.Challenge = ByteString.CopyFrom(challenge);
        welcome.AuthVersion = AuthVersion;
        welcome.ListenerProof = ByteString.CopyFrom(ClusterToken.Proof(key, ProofDirection.ListeningSide, challenge, hello.Nonce.Span, hello));
        return ValueTask.FromResult<string?>(null);

        static ValueTask<string?> Refuse(string reason) => ValueTask.FromResult<string?>(reason);
    }

    public ValueTask<AuthProof> AnswerChallengeAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken)
    {
        if (welcome.Challenge.Length != 32) throw new ProtocolException("the peer sent a malformed authentication challenge");
        var key = KeyOf(hello) ?? throw new InvalidOperationException($"this token cannot prove the {RoleNames.Of(hello.Role)} role");
        // Prove nothing to a listener that has not proved itself first.
        if (welcome.AuthVersion != AuthVersion || welcome.ListenerProof.IsEmpty)
            throw new AuthenticationException(
                $"speaks token authentication version {Math.Max(1, welcome.AuthVersion)}, which does not prove that the {ListenerNoun(hello)} knows the cluster token; "
                + $"this end needs version {AuthVersion}: run the same Shoal version on both sides (nothing was sent)");
        var expected = ClusterToken.Proof(key, ProofDirection.ListeningSide, welcome.Challenge.Span, hello.Nonce.Span, hello);
        if (!CryptographicOperations.FixedTimeEquals(expected, welcome.ListenerProof.Span))
            throw new AuthenticationException(NotProved(hello, "did not prove that it knows the cluster token"));
        var proof = ClusterToken.Proof(key, ProofDirection.ConnectingSide, welcome.Challenge.Span, hello.Nonce.Span, hello);
        return ValueTask.FromResult(new AuthProof { Proof = ByteString.CopyFrom(proof) });
    }

    public ValueTask<string?> VerifyProofAsync(Hello hello, Welcome welcome, AuthProof proof, CancellationToken cancellationToken)
    {
        var key = KeyOf(hello);
        if (key is null) return ValueTask.FromResult<string?>("the token does not match this cluster");
        var expected = ClusterToken.Proof(key, ProofDirection.ConnectingSide, welcome.Challenge.Span, hello.Nonce.Span, hello);
        return ValueTask.FromResult<string?>(CryptographicOperations.FixedTimeEquals(expected, proof.Proof.Span)
            ? null
            : "the token does not match this cluster (wrong token or wrong role)");
    }

    public string? CheckListener(Hello hello, Welcome welcome, bool challenged) =>
        challenged ? null : NotProved(hello, "accepted us without asking for the cluster token");

    /// <summary>Why we will not talk to a listener that did not prove the token (the caller puts its address in front).</summary>
    private static string NotProved(Hello hello, string what) =>
        $"{what}: it is not a {ListenerNoun(hello)} of the cluster our token belongs to (an impostor, another cluster's, or our token is stale). "
        + "Nothing was sent to it; check the address and the token";

    private static string ListenerNoun(Hello hello) => hello.Role == Role.Peer ? "worker" : "scheduler";

    // Peer connections prove the peer key; others the key of the role their token claims (a nanny: its worker's).
    private byte[]? KeyOf(Hello hello)
    {
        if (hello.Role == Role.Peer) return _token.KeyFor(Role.Peer);
        return CertificateRoles.TryParse(hello.Claims.GetValueOrDefault("role"), out var role) && CertificateRoles.MayClaim(role, hello.Role)
            ? _token.KeyFor(role)
            : null;
    }
}
