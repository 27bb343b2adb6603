using System.Security.Cryptography.X509Certificates;

namespace Shoal.Security;

/// <summary>Checks a peer certificate against the cluster CA alone (the system store is never consulted).</summary>
internal static class ChainValidator
{
    /// <summary>Null when <paramref name="certificate"/> chains to <paramref name="ca"/> and is valid now; otherwise why not.</summary>
    public static string? Validate(X509Certificate2 ca, X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = DateTime.Now;
        var built = chain.Build(certificate);
        var statuses = chain.ChainStatus.Select(s => s.Status).Aggregate(X509ChainStatusFlags.NoError, (a, b) => a | b);
        var root = chain.ChainElements.Count > 0 ? chain.ChainElements[^1].Certificate : null;
        var rootIsCa = root is not null && root.RawData.AsSpan().SequenceEqual(ca.RawData);
        if (built && rootIsCa) return null;
        if (!rootIsCa || (statuses & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid)) != 0)
            return $"certificate '{certificate.Subject}' not signed by the cluster CA '{ca.Subject}'";
        if ((statuses & X509ChainStatusFlags.NotTimeValid) != 0)
            return certificate.NotAfter < DateTime.Now
                ? $"certificate '{certificate.Subject}' expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC"
                : $"certificate '{certificate.Subject}' is not valid before {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC (or its CA expired)";
        return $"certificate '{certificate.Subject}' is not valid: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}";
    }
}
