using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Security;

namespace Shoal;

/// <summary>
/// Credentials of one Shoal process: a cluster CA and this end's certificate and key (TLS with
/// mutual authentication, <c>tls://</c> addresses), and/or a shared-secret token proved by an HMAC
/// challenge/response in the handshake. Each credential carries a role (scheduler, worker,
/// client): a certificate in a SAN URI <c>shoal:role:NAME</c>, a token in its claims. The
/// scheduler accepts from a connection only the messages of the role its credential proved.
/// <code>
/// var security = SecurityOptions.Temporary();                      // CA + a certificate per role, in memory
/// var files = SecurityOptions.FromPemFiles("ca.pem", "client.pem", "client-key.pem");
/// var token = SecurityOptions.FromTokenFile("~/.shoal/cluster.token");
/// </code>
/// </summary>
public sealed class SecurityOptions
{
    private readonly Dictionary<Role, X509Certificate2> _certificates;

    private SecurityOptions(X509Certificate2? ca, Dictionary<Role, X509Certificate2> certificates, ClusterToken? token, X509Certificate2? caWithKey)
    {
        CaCertificate = ca;
        _certificates = certificates;
        Token = token;
        CaWithKey = caWithKey;
    }

    /// <summary>The cluster CA: the only issuer whose certificates this end trusts (never the system store).</summary>
    public X509Certificate2? CaCertificate { get; }

    /// <summary>
    /// This end's certificate (with its private key). For <see cref="Temporary"/> options, which hold
    /// a certificate per role, the client's.
    /// </summary>
    public X509Certificate2? Certificate => CertificateFor(Role.Client) ?? _certificates.Values.FirstOrDefault();

    /// <summary>The roles this end holds certificates for.</summary>
    internal IReadOnlyCollection<Role> CertificateRoles => _certificates.Keys;

    /// <summary>True when connections use TLS (a CA and a certificate are set).</summary>
    public bool UsesTls => CaCertificate is not null && _certificates.Count > 0;

    /// <summary>True when a shared-secret token is set.</summary>
    public bool HasToken => Token is not null;

    /// <summary>The role of the token (scheduler for the cluster secret, which may act as every role); null without a token.</summary>
    internal Role? TokenRole => Token?.Role;

    internal ClusterToken? Token { get; }

    internal X509Certificate2? CaWithKey { get; }

    /// <summary>True when these came from a token file on disk rather than from the caller (they may be stale).</summary>
    internal bool FoundOnDisk { get; private init; }

    /// <summary>A copy marked <see cref="FoundOnDisk"/>.</summary>
    internal SecurityOptions AsFoundOnDisk() => new(CaCertificate, _certificates, Token, CaWithKey) { FoundOnDisk = true };

    /// <summary>
    /// A new per-cluster CA and a scheduler, a worker and a client certificate signed by it, all in
    /// memory (ECDSA P-256), as Dask's <c>Security.temporary()</c>. Hand the same object to the
    /// scheduler, its workers and clients: each uses the certificate of its role.
    /// </summary>
    /// <param name="validity">How long the certificates are valid. Default 30 days.</param>
    /// <param name="hosts">Host names and IPs the certificates name. Default loopback and this machine.</param>
    public static SecurityOptions Temporary(TimeSpan? validity = null, IEnumerable<string>? hosts = null)
    {
        var span = validity ?? TimeSpan.FromDays(30);
        var names = hosts?.ToArray() ?? [.. CertificateAuthority.DefaultHosts()];
        var ca = CertificateAuthority.CreateCa("Shoal cluster CA " + Guid.NewGuid().ToString("N")[..8], span);
        var certificates = new Dictionary<Role, X509Certificate2>();
        foreach (var role in new[] { Role.Scheduler, Role.Worker, Role.Client })
            certificates[role] = CertificateAuthority.Issue(ca, role, names, span);
        return new SecurityOptions(PublicOnly(ca), certificates, null, ca);
    }

    /// <summary>A new random cluster secret (the scheduler's token, which can prove every role), without TLS.</summary>
    public static SecurityOptions TemporaryToken() => new(null, new(), ClusterToken.CreateClusterSecret(), null);

    /// <summary>Options from certificates already loaded: the cluster CA, and this end's certificate with its private key.</summary>
    public static SecurityOptions FromCertificates(X509Certificate2 ca, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
            throw new ArgumentException("the certificate has no private key: pass the key too (FromPem / FromPemFiles)", nameof(certificate));
        var role = Security.CertificateRoles.Of(certificate);
        if (role == Role.Unspecified)
            throw new ArgumentException($"certificate '{certificate.Subject}' carries no Shoal role (a SAN URI shoal:role:scheduler|worker|client); create it with `shoal certs create`", nameof(certificate));
        return new SecurityOptions(ca, new() { [role] = certificate }, null, null);
    }

    /// <summary>Options from PEM text: the cluster CA certificate, this end's certificate and its private key.</summary>
    public static SecurityOptions FromPem(string caPem, string certificatePem, string keyPem)
    {
        X509Certificate2 ca;
        X509Certificate2 certificate;
        try
        {
            ca = X509Certificate2.CreateFromPem(caPem);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"the CA certificate is not a PEM certificate: {ex.Message}", nameof(caPem), ex);
        }
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"the certificate or its key is not valid PEM, or the key does not match: {ex.Message}", nameof(certificatePem), ex);
        }
        return FromCertificates(ca, certificate);
    }

    /// <summary>Options from PEM files (as written by <c>shoal certs create</c>).</summary>
    public static SecurityOptions FromPemFiles(string caFile, string certificateFile, string keyFile) =>
        FromPem(ReadFile(caFile, "CA certificate"), ReadFile(certificateFile, "certificate"), ReadFile(keyFile, "key"));

    /// <summary>Options from a token's text (as in a token file). The text is a secret: never log it.</summary>
    public static SecurityOptions FromToken(string token) => new(null, new(), ClusterToken.Parse(token), null);

    /// <summary>Options from a token file (its first line). Keep the file readable only by its owner.</summary>
    /// <remarks>A loopback token file has more lines after the token (the scheduler process that wrote it): only the first is the token.</remarks>
    public static SecurityOptions FromTokenFile(string path) => FromToken(ReadFile(path, "token").Split('\n', 2)[0].Trim());

    /// <summary>These options plus a token (TLS and a token: both are checked).</summary>
    public SecurityOptions WithToken(string token) => new(CaCertificate, _certificates, ClusterToken.Parse(token), CaWithKey);

    /// <summary>
    /// These options plus the certificates of <paramref name="other"/> (another role's, signed by
    /// the same CA): one process that starts processes of several roles (<c>shoal local</c>) holds each's.
    /// </summary>
    /// <exception cref="ArgumentException">The two name different CAs, or <paramref name="other"/> has no certificate.</exception>
    internal SecurityOptions WithCertificatesOf(SecurityOptions other)
    {
        if (other.CaCertificate is null || other._certificates.Count == 0) throw new ArgumentException("the other credentials hold no certificate", nameof(other));
        if (CaCertificate is not null && CaCertificate.Thumbprint != other.CaCertificate.Thumbprint)
            throw new ArgumentException("the certificates come from two different CAs", nameof(other));
        var certificates = new Dictionary<Role, X509Certificate2>(_certificates);
        foreach (var (role, certificate) in other._certificates) certificates.TryAdd(role, certificate);
        return new SecurityOptions(CaCertificate ?? other.CaCertificate, certificates, Token ?? other.Token, CaWithKey);
    }

    /// <summary>
    /// Only what a process of <paramref name="role"/> needs: that role's certificate and token. Use it to
    /// hand credentials to a worker without giving it the scheduler's or the client's.
    /// </summary>
    internal SecurityOptions ForRole(Role role)
    {
        var certificates = CertificateFor(role) is { } certificate ? new Dictionary<Role, X509Certificate2> { [role] = certificate } : new();
        var token = Token is { IsClusterSecret: true } ? Token.For(role) : Token;
        return new SecurityOptions(CaCertificate, certificates, token, null);
    }

    /// <summary>The token text for <paramref name="role"/> (needs the cluster secret); a secret: never log it.</summary>
    internal string? TokenFor(Role role) => Token is null ? null : Token.IsClusterSecret ? Token.For(role).Encode() : Token.Encode();

    /// <summary>The certificate this end shows when it acts as <paramref name="role"/> (a peer connection uses the worker's or client's, a nanny the worker's).</summary>
    internal X509Certificate2? CertificateFor(Role role)
    {
        if (_certificates.TryGetValue(role, out var certificate)) return certificate;
        if (role == Role.Peer)
            return _certificates.GetValueOrDefault(Role.Worker) ?? _certificates.GetValueOrDefault(Role.Client);
        if (role == Role.Nanny) return _certificates.GetValueOrDefault(Role.Worker);
        return _certificates.Count == 1 ? _certificates.Values.First() : null;
    }

    /// <summary>The handshake authenticator these credentials call for: token, TLS, or none.</summary>
    internal IHandshakeAuthenticator Authenticator() =>
        Token is not null ? new TokenAuthenticator(Token) : UsesTls ? TlsAuthenticator.Instance : NoAuthentication.Instance;

    private static X509Certificate2 PublicOnly(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);

    private static string ReadFile(string path, string what)
    {
        var full = Path.GetFullPath(path.StartsWith('~') ? Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[1..]) : path);
        try
        {
            return File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read the {what} file {full}: {ex.Message}", ex);
        }
    }

    /// <summary>What is configured, without any secret.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (UsesTls) parts.Add($"TLS ({string.Join(", ", _certificates.Keys.Select(RoleNames.Of))} certificate{(_certificates.Count == 1 ? "" : "s")}, CA '{CaCertificate!.Subject}')");
        if (Token is not null) parts.Add($"token ({RoleNames.Of(Token.Role)})");
        return parts.Count == 0 ? "no security" : string.Join(" + ", parts);
    }
}
