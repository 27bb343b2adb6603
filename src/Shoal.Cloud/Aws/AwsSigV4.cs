using System.Globalization;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace Shoal.Cloud.Aws;

/// <summary>
/// Signature Version 4 for the calls Shoal makes without a service SDK (ECS, IAM, CloudWatch Logs):
/// the canonical request, the scope and the signature are AWSSDK.Core's own (<see cref="AWS4Signer"/>'s
/// helpers, reached by deriving from it); this class only feeds them an <see cref="HttpRequestMessage"/>.
/// Checked against the published SigV4 test suite (tests/Shoal.Cloud.Tests/Aws/SigV4Suite).
/// </summary>
internal sealed class AwsSigV4 : AWS4Signer
{
    /// <summary>The header names the signature covers, the canonical request and the signature.</summary>
    internal sealed record Signed(string CanonicalRequest, string SignedHeaders, string Signature, string Authorization);

    /// <summary>
    /// Signs a request described by its parts (the form the test suite and <see cref="SignAsync"/> share):
    /// adds <c>X-Amz-Date</c> (and <c>X-Amz-Security-Token</c> with session credentials) to <paramref name="headers"/>.
    /// </summary>
    /// <param name="method">HTTP method.</param>
    /// <param name="uri">The whole URI, query included (its path as sent, not yet normalised).</param>
    /// <param name="headers">Header names to values (several values of one name already joined by commas); changed.</param>
    /// <param name="body">The payload.</param>
    /// <param name="credentials">Whose signature.</param>
    /// <param name="region">Region of the scope.</param>
    /// <param name="service">Service of the scope (ecs, iam, logs, ec2).</param>
    /// <param name="signedAt">The signing time (UTC).</param>
    /// <param name="normalizePath">Remove dot segments and repeated slashes (every service but S3).</param>
    /// <param name="signBody">Add <c>x-amz-content-sha256</c> and sign it.</param>
    public static Signed Sign(string method, Uri uri, IDictionary<string, string> headers, ReadOnlySpan<byte> body,
        ImmutableCredentials credentials, string region, string service, DateTime signedAt, bool normalizePath = true, bool signBody = false)
    {
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData(body));
        headers["X-Amz-Date"] = signedAt.ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        if (credentials.UseToken) headers["X-Amz-Security-Token"] = credentials.Token;
        if (signBody) headers["x-amz-content-sha256"] = bodyHash;
        var sorted = SortAndPruneHeaders(headers);
        var path = normalizePath ? NormalizePath(RawPath(uri)) : RawPath(uri);
        // The SDK joins the endpoint's path and the resource path: the endpoint is given without one.
        var endpoint = new Uri(uri.GetLeftPart(UriPartial.Authority));
        var canonical = CanonicalizeRequest(endpoint, Uri.UnescapeDataString(path), method, sorted, CanonicalQuery(uri), bodyHash, null, false);
        var signedHeaders = CanonicalizeHeaderNames(sorted);
        var result = ComputeSignature(credentials.AccessKey, credentials.SecretKey, region, signedAt.ToUniversalTime(), service, signedHeaders, canonical);
        return new Signed(canonical, signedHeaders, result.Signature, result.ForAuthorizationHeader);
    }

    /// <summary>Signs <paramref name="request"/> in place, its content included (which is read to hash it).</summary>
    public static async Task SignAsync(HttpRequestMessage request, ImmutableCredentials credentials, string region, string service,
        DateTime signedAt, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("the request has no URI", nameof(request));
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["host"] = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}" };
        if (request.Content?.Headers.ContentType is { } contentType) headers["content-type"] = contentType.ToString();
        foreach (var (name, values) in request.Headers) headers[name] = string.Join(',', values);
        var signed = Sign(request.Method.Method, uri, headers, body, credentials, region, service, signedAt);
        request.Headers.Remove("X-Amz-Date");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", headers["X-Amz-Date"]);
        if (credentials.UseToken) request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", credentials.Token);
        request.Headers.TryAddWithoutValidation("Authorization", signed.Authorization);
    }

    /// <summary>
    /// The query's parameters encoded (RFC 3986) and then sorted by name and value, as SigV4 says. Written
    /// here because the SDK's <c>CanonicalizeQueryParameters</c> sorts before encoding, which orders names
    /// outside ASCII differently (the suite's get-vanilla-query-order-encoded case).
    /// </summary>
    private static string CanonicalQuery(Uri uri)
    {
        var query = uri.Query.Length > 1 ? uri.Query[1..] : "";
        if (query.Length == 0) return "";
        return string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair =>
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? pair : pair[..equals];
                var value = equals < 0 ? "" : pair[(equals + 1)..];
                return (Name: Encode(name), Value: Encode(value));
            })
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));

        static string Encode(string part) => Uri.EscapeDataString(Uri.UnescapeDataString(part.Replace('+', ' ')));
    }

    private static string RawPath(Uri uri)
    {
        var original = uri.OriginalString;
        var start = original.IndexOf("://", StringComparison.Ordinal);
        start = start < 0 ? 0 : original.IndexOf('/', start + 3);
        if (start < 0) return "/";
        var end = original.IndexOfAny(['?', '#'], start);
        var path = end < 0 ? original[start..] : original[start..end];
        return path.Length == 0 ? "/" : path;
    }

    /// <summary>RFC 3986 dot-segment removal and repeated slashes folded, as SigV4 asks of every service but S3.</summary>
    internal static string NormalizePath(string path)
    {
        var output = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                if (output.Count > 0) output.RemoveAt(output.Count - 1);
                continue;
            }
            output.Add(segment);
        }
        var normalized = "/" + string.Join('/', output);
        return path.EndsWith('/') && output.Count > 0 ? normalized + "/" : normalized;
    }
}
