using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Shoal.Protocol.Messages;

namespace Shoal.Kubernetes.Operator;

/// <summary>
/// A ShoalCluster's credentials, made once by the operator and kept in its Secret NAME-tls: a
/// per-cluster CA with a certificate per role naming the scheduler Service's DNS names (TLS with
/// mutual authentication), and a cluster token with a token per role (the scheduler's dashboard
/// derives its bearer tokens from the client's, which is how the operator calls the scheduler's
/// HTTP API). Each pod mounts the Secret at /etc/shoal/tls and is pointed at its own role's files.
/// </summary>
internal static class ClusterCredentials
{
    public const string MountPath = "/etc/shoal/tls";

    public static string SecretName(string cluster) => $"{cluster}-tls";

    /// <summary>The Secret for a new cluster whose scheduler Service is <paramref name="service"/> in <paramref name="namespace"/>.</summary>
    public static V1Secret Create(string cluster, string @namespace, string service, V1OwnerReference owner)
    {
        string[] hosts = [service, $"{service}.{@namespace}", $"{service}.{@namespace}.svc", $"{service}.{@namespace}.svc.cluster.local", "localhost"];
        var security = SecurityOptions.Temporary(TimeSpan.FromDays(365), hosts).WithToken(SecurityOptions.TemporaryToken().TokenFor(Role.Scheduler)!);
        var data = new Dictionary<string, byte[]> { ["ca.pem"] = Ascii(security.CaCertificate!.ExportCertificatePem()) };
        foreach (var role in new[] { Role.Scheduler, Role.Worker, Role.Client })
        {
            var name = RoleName(role);
            var certificate = security.CertificateFor(role)!;
            using var key = certificate.GetECDsaPrivateKey()!;
            data[$"{name}.pem"] = Ascii(certificate.ExportCertificatePem());
            data[$"{name}-key.pem"] = Ascii(key.ExportPkcs8PrivateKeyPem());
            data[$"{name}.token"] = Ascii(security.TokenFor(role)!);
        }

        return new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = SecretName(cluster), Labels = OperatorLabels.For(cluster, "credentials"), OwnerReferences = [owner] },
            Type = "Opaque",
            Data = data,
        };
    }

    /// <summary>The command-line flags that point a process of <paramref name="role"/> at its files in the mounted Secret.</summary>
    public static IEnumerable<string> Flags(Role role)
    {
        var name = RoleName(role);
        return ["--tls-ca-file", $"{MountPath}/ca.pem", "--tls-cert", $"{MountPath}/{name}.pem", "--tls-key", $"{MountPath}/{name}-key.pem", "--token-file", $"{MountPath}/{name}.token"];
    }

    /// <summary>A process's credentials read back from the Secret's data (the operator's own, as a client).</summary>
    public static SecurityOptions Read(V1Secret secret, Role role)
    {
        var name = RoleName(role);
        string File(string key) => secret.Data is { } d && d.TryGetValue(key, out var bytes)
            ? Encoding.ASCII.GetString(bytes)
            : throw new InvalidOperationException($"Secret {secret.Metadata?.Name} has no {key}");
        return SecurityOptions.FromPem(File("ca.pem"), File($"{name}.pem"), File($"{name}-key.pem")).WithToken(File($"{name}.token").Trim());
    }

    /// <summary>The volume and mount of the Secret (0444: the files are root's and the container runs as another user without an fsGroup).</summary>
    public static (V1Volume Volume, V1VolumeMount Mount) Volume(string cluster) =>
        (new V1Volume { Name = "shoal-tls", Secret = new V1SecretVolumeSource { SecretName = SecretName(cluster), DefaultMode = 292 } },
         new V1VolumeMount { Name = "shoal-tls", MountPath = MountPath, ReadOnlyProperty = true });

    private static string RoleName(Role role) => role switch
    {
        Role.Scheduler => "scheduler",
        Role.Worker => "worker",
        Role.Client => "client",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);
}
