using System.Security.Cryptography.X509Certificates;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>
/// Roles carried in certificates (a SAN URI <c>shoal:role:worker</c>) and which Hello roles a
/// proved role may announce.
/// </summary>
internal static class CertificateRoles
{
    private const string Prefix = "shoal:role:";

    /// <summary>The SAN URI naming a role.</summary>
    public static Uri UriOf(Role role) => new(Prefix + RoleNames.Of(role));

    /// <summary>The role in a certificate's SAN URIs; <see cref="Role.Unspecified"/> when it carries none.</summary>
    public static Role Of(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509SubjectAlternativeNameExtension san) continue;
            // The SAN builder writes URIs as [6] IA5String; .NET's reader has no URI enumerator, so decode by hand.
            foreach (var uri in SanUris(san.RawData))
            {
                if (uri.StartsWith(Prefix, StringComparison.Ordinal) && TryParse(uri[Prefix.Length..], out var role)) return role;
            }
        }
        return Role.Unspecified;
    }

    /// <summary>Parses a role name (scheduler, worker, client, peer).</summary>
    public static bool TryParse(string? name, out Role role)
    {
        role = name switch
        {
            "scheduler" => Role.Scheduler,
            "worker" => Role.Worker,
            "client" => Role.Client,
            "peer" => Role.Peer,
            "nanny" => Role.Nanny,
            _ => Role.Unspecified,
        };
        return role != Role.Unspecified;
    }

    /// <summary>
    /// Whether a peer that proved <paramref name="proved"/> may announce <paramref name="claimed"/>:
    /// the same role, "peer" (worker-to-worker data connections) for a worker or client, or
    /// "nanny" for a worker (a nanny holds its worker's credential, to report its death), and
    /// "client" for a worker: its tasks submit tasks (<c>WorkerContext.GetClientAsync</c>, as Dask's
    /// workers connect their <c>get_client</c> with their own credentials). This gives a worker
    /// credential nothing it could not do already: the code a worker runs is any client's code.
    /// </summary>
    public static bool MayClaim(Role proved, Role claimed) =>
        proved == claimed || (claimed == Role.Peer && proved is Role.Worker or Role.Client)
        || (claimed is Role.Nanny or Role.Client && proved == Role.Worker);

    private static IEnumerable<string> SanUris(byte[] raw)
    {
        var reader = new System.Formats.Asn1.AsnReader(raw, System.Formats.Asn1.AsnEncodingRules.DER);
        var names = reader.ReadSequence();
        var uriTag = new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6);
        var found = new List<string>();
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.HasSameClassAndValue(uriTag)) found.Add(names.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, uriTag));
            else names.ReadEncodedValue();
        }
        return found;
    }
}
