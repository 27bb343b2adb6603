using System.Security.Cryptography.X509Certificates;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>Writes a cluster's CA and role certificates as PEM files, each created with mode 0600.</summary>
internal static class ClusterCertificateFiles
{
    /// <summary>Creates <c>ca.pem</c>, <c>ca-key.pem</c> and <c>ROLE.pem</c>/<c>ROLE-key.pem</c> for scheduler, worker and client; returns the paths.</summary>
    public static IReadOnlyList<string> Create(string directory, IReadOnlyList<string> hosts, TimeSpan validity)
    {
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var ca = CertificateAuthority.CreateCa("Shoal cluster CA", validity + TimeSpan.FromDays(1));
        var written = new List<string>();
        Write("ca.pem", ca.ExportCertificatePem());
        using (var caKey = ca.GetECDsaPrivateKey()!) Write("ca-key.pem", caKey.ExportPkcs8PrivateKeyPem());
        foreach (var role in new[] { Role.Scheduler, Role.Worker, Role.Client })
        {
            using var certificate = CertificateAuthority.Issue(ca, role, hosts, validity);
            Write($"{RoleNames.Of(role)}.pem", certificate.ExportCertificatePem());
            using var key = certificate.GetECDsaPrivateKey()!;
            Write($"{RoleNames.Of(role)}-key.pem", key.ExportPkcs8PrivateKeyPem());
        }
        return written;

        void Write(string name, string pem)
        {
            var path = Path.Join(directory, name);
            LocalCredentials.WritePrivateFile(path, pem + "\n");
            written.Add(path);
        }
    }
}
