using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>
/// Creates a cluster CA and the certificates it signs (ECDSA P-256, <see cref="CertificateRequest"/>).
/// Each leaf certificate carries its role as a SAN URI <c>shoal:role:NAME</c>
/// (see <see cref="CertificateRoles"/>).
/// </summary>
internal static class CertificateAuthority
{
    /// <summary>A self-signed CA certificate with its private key.</summary>
    public static X509Certificate2 CreateCa(string name, TimeSpan validity, DateTimeOffset? notBefore = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}, O=Shoal"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var start = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5);
        return request.CreateSelfSigned(start, start.Add(validity));
    }

    /// <summary>A certificate for <paramref name="role"/> signed by <paramref name="ca"/>, with its private key.</summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, Role role, IEnumerable<string> hosts, TimeSpan validity, DateTimeOffset? notBefore = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN=shoal-{RoleNames.Of(role)}, OU={RoleNames.Of(role)}, O=Shoal"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(CertificateRoles.UriOf(role));
        foreach (var host in hosts.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(host);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var start = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5);
        var end = start.Add(validity);
        if (end > ca.NotAfter) end = ca.NotAfter;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = request.Create(ca, start, end, serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>Hosts every local certificate should name: loopback and this machine.</summary>
    public static IReadOnlyList<string> DefaultHosts() => ["localhost", "127.0.0.1", "::1", Dns.GetHostName()];
}
