using System.Security.Cryptography;
using System.Text;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>
/// A shared-secret credential. The cluster secret (32 random bytes) is held by the scheduler; every
/// other role holds keys derived from it, <c>HMAC-SHA256(secret, "shoal-role-key:" + role)</c>, so a
/// worker's token cannot prove the client role (nor the other way round). Non-scheduler tokens
/// also carry the "peer" key that worker-to-worker data connections prove.
/// Text form: <c>shoal1.scheduler.SECRET</c> or <c>shoal1.ROLE.ROLEKEY.PEERKEY</c> (base64url).
/// The role is the token's claim; it is sent in <c>Hello.claims["role"]</c>, never the keys.
/// </summary>
internal sealed class ClusterToken
{
    private const string Version = "shoal1";
    private readonly byte[]? _secret;
    private readonly Dictionary<Role, byte[]> _keys = new();

    private ClusterToken(Role role, byte[]? secret, byte[]? roleKey, byte[]? peerKey)
    {
        Role = role;
        _secret = secret;
        if (roleKey is not null) _keys[role] = roleKey;
        if (peerKey is not null) _keys[Role.Peer] = peerKey;
    }

    /// <summary>The role this token proves (scheduler: the cluster secret, which can prove any role).</summary>
    public Role Role { get; }

    /// <summary>Whether this is the cluster secret (it can check every other token).</summary>
    public bool IsClusterSecret => _secret is not null;

    /// <summary>A new random cluster secret.</summary>
    public static ClusterToken CreateClusterSecret() => new(Role.Scheduler, RandomNumberGenerator.GetBytes(32), null, null);

    /// <summary>The token handed to holders of <paramref name="role"/> (needs the cluster secret).</summary>
    public ClusterToken For(Role role)
    {
        if (_secret is null) throw new InvalidOperationException("only the cluster secret (the scheduler's token) can issue tokens for other roles");
        return role == Role.Scheduler ? this : new ClusterToken(role, null, Derive(_secret, role), Derive(_secret, Role.Peer));
    }

    /// <summary>The key that proves <paramref name="role"/>, or null when this token cannot prove it.</summary>
    public byte[]? KeyFor(Role role) =>
        _secret is not null ? (role == Role.Scheduler ? _secret : Derive(_secret, role)) : _keys.GetValueOrDefault(role);

    /// <summary>Whether this token may announce <paramref name="claimed"/> in a Hello.</summary>
    public bool MayClaim(Role claimed) => _secret is not null || CertificateRoles.MayClaim(Role, claimed);

    private static byte[] Derive(byte[] secret, Role role) =>
        HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes("shoal-role-key:" + RoleNames.Of(role)));

    /// <summary>The text form (a secret: never log it).</summary>
    public string Encode() => _secret is not null
        ? $"{Version}.scheduler.{Base64Url(_secret)}"
        : $"{Version}.{RoleNames.Of(Role)}.{Base64Url(_keys[Role])}.{Base64Url(_keys[Role.Peer])}";

    /// <summary>Parses the text form; throws <see cref="FormatException"/> without echoing the secret.</summary>
    public static ClusterToken Parse(string text)
    {
        var parts = text.Trim().Split('.');
        if (parts.Length < 3 || parts[0] != Version || !CertificateRoles.TryParse(parts[1], out var role) || role == Role.Peer)
            throw new FormatException("not a Shoal token (expected shoal1.ROLE.KEY...)");
        try
        {
            if (role == Role.Scheduler)
            {
                if (parts.Length != 3) throw new FormatException("a scheduler token has exactly one key");
                var secret = FromBase64Url(parts[2]);
                if (secret.Length < 16) throw new FormatException("the token's secret is shorter than 16 bytes");
                return new ClusterToken(Role.Scheduler, secret, null, null);
            }
            if (parts.Length != 4) throw new FormatException($"a {parts[1]} token has exactly two keys");
            return new ClusterToken(role, null, FromBase64Url(parts[2]), FromBase64Url(parts[3]));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"malformed Shoal token: {ex.Message.Split(':')[0]}");
        }
    }

    /// <summary>
    /// The proof of a key over one handshake: it binds the direction (who proves to whom), the
    /// listener's challenge, the connecting side's nonce and what the Hello announced, so it can be
    /// neither replayed on another connection or role nor reflected back to the side that made it.
    /// </summary>
    public static byte[] Proof(byte[] key, ProofDirection direction, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> nonce, Hello hello)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(direction == ProofDirection.ConnectingSide ? "shoal-auth-v2 connecting side\0"u8 : "shoal-auth-v2 listening side\0"u8);
        AppendField(hmac, challenge);
        AppendField(hmac, nonce);
        AppendField(hmac, Encoding.UTF8.GetBytes(RoleNames.Of(hello.Role)));
        AppendField(hmac, Encoding.UTF8.GetBytes(hello.Claims.GetValueOrDefault("role") ?? ""));
        AppendField(hmac, Encoding.UTF8.GetBytes(hello.Name));
        return hmac.GetHashAndReset();
    }

    private static void AppendField(IncrementalHash hmac, ReadOnlySpan<byte> field)
    {
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, field.Length);
        hmac.AppendData(length);
        hmac.AppendData(field);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        return Convert.FromBase64String(padded);
    }

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"Shoal {RoleNames.Of(Role)} token";
}

/// <summary>Which side of a handshake a token proof comes from (each side's proof is labelled, so neither can stand for the other).</summary>
internal enum ProofDirection
{
    /// <summary>The side that dialled proves it to the listener (<c>AuthProof.proof</c>).</summary>
    ConnectingSide,

    /// <summary>The listener proves it to the side that dialled (<c>Welcome.listener_proof</c>).</summary>
    ListeningSide,
}
