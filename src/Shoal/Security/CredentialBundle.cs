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
        var parts = PartsOf(security, role);
        var text = new StringBuilder();
        if (parts.Token is { } token) text.Append("token: ").Append(token).Append('\n');
        if (parts.Tls is (var ca, var certificate, var key)) text.Append(ca).Append('\n').Append(certificate).Append('\n').Append(key).Append('\n');
        return text.ToString();
    }

    /// <summary>What a process of <paramref name="role"/> needs, each part apart (a cloud worker gets them as separate variables).</summary>
    public static CredentialParts PartsOf(SecurityOptions security, Role role)
    {
        var mine = security.ForRole(role);
        if (!mine.UsesTls || mine.CertificateFor(role) is not { } certificate) return new CredentialParts(mine.TokenFor(role), null);
        using var ecdsa = certificate.GetECDsaPrivateKey();
        using var rsa = ecdsa is null ? certificate.GetRSAPrivateKey() : null;
        var key = (System.Security.Cryptography.AsymmetricAlgorithm?)ecdsa ?? rsa
            ?? throw new InvalidOperationException("only ECDSA and RSA certificate keys can be handed to child processes");
        return new CredentialParts(mine.TokenFor(role), (mine.CaCertificate!.ExportCertificatePem(), certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem()));
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

/// <summary>One role's credentials in parts: the token, and the CA certificate, certificate and private key in PEM.</summary>
internal sealed record CredentialParts(string? Token, (string Ca, string Certificate, string Key)? Tls);
