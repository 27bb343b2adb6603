using System.Security.Cryptography.X509Certificates;
using System.Text;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>
/// One role's credentials as text, to hand to a child process through a pipe
/// (<see cref="ParentPipeCredentials"/>): an optional <c>token: ...</c> line, then the CA certificate, the certificate and its key in PEM.
/// </summary>
internal static class CredentialBundle
{
    /// <summary>The bundle giving a process of <paramref name="role"/> what it needs, and nothing more.</summary>
    public static string Write(SecurityOptions security, Role role)
    {
        var mine = security.ForRole(role);
        var text = new StringBuilder();
        if (mine.TokenFor(role) is { } token) text.Append("token: ").Append(token).Append('\n');
        if (mine.UsesTls && mine.CertificateFor(role) is { } certificate)
        {
            text.Append(mine.CaCertificate!.ExportCertificatePem()).Append('\n');
            text.Append(certificate.ExportCertificatePem()).Append('\n');
            using var ecdsa = certificate.GetECDsaPrivateKey();
            using var rsa = ecdsa is null ? certificate.GetRSAPrivateKey() : null;
            var key = (System.Security.Cryptography.AsymmetricAlgorithm?)ecdsa ?? rsa
                ?? throw new InvalidOperationException("only ECDSA and RSA certificate keys can be handed to child processes");
            text.Append(key.ExportPkcs8PrivateKeyPem()).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Reads a bundle written by <see cref="Write"/>.</summary>
    public static SecurityOptions? Read(string bundle)
    {
        string? token = null;
        var pems = new List<string>();
        var current = new StringBuilder();
        foreach (var line in bundle.Split('\n'))
        {
            if (line.StartsWith("token: ", StringComparison.Ordinal)) token = line["token: ".Length..].Trim();
            else if (line.StartsWith("-----BEGIN ", StringComparison.Ordinal)) current.Clear().Append(line).Append('\n');
            else if (line.StartsWith("-----END ", StringComparison.Ordinal)) pems.Add(current.Append(line).Append('\n').ToString());
            else if (current.Length > 0) current.Append(line).Append('\n');
        }
        SecurityOptions? security = pems.Count == 3 ? SecurityOptions.FromPem(pems[0], pems[1], pems[2]) : null;
        if (token is not null) security = security is null ? SecurityOptions.FromToken(token) : security.WithToken(token);
        return security;
    }
}
