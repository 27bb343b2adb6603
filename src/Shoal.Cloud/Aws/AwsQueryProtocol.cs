using System.Xml.Linq;

namespace Shoal.Cloud.Aws;

/// <summary>
/// The AWS query protocol (IAM): POST / with a form body <c>Action=...&amp;Version=...</c>; the answer is
/// XML <c>&lt;ActionResponse&gt;&lt;ActionResult&gt;</c>, an error <c>&lt;ErrorResponse&gt;&lt;Error&gt;&lt;Code&gt;</c>.
/// </summary>
internal sealed class AwsQueryProtocol(AwsConnection connection, string service, string version)
{
    public Task<XElement> CallAsync(string action, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken) =>
        connection.Retry.RunAsync(ct => CallOnceAsync(action, parameters, ct), e => e.Code is "Throttling" or "ServiceFailure", cancellationToken);

    private async Task<XElement> CallOnceAsync(string action, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>> { new("Action", action), new("Version", version) };
        form.AddRange(parameters);
        var (status, reply) = await connection.SendAsync(service, () => new HttpRequestMessage(HttpMethod.Post, connection.EndpointOf(service))
        {
            Content = new FormUrlEncodedContent(form),
        }, cancellationToken).ConfigureAwait(false);
        XElement? root = null;
        try
        {
            root = XElement.Parse(reply);
        }
        catch (System.Xml.XmlException)
        {
            // not XML: reported below with the status
        }

        if ((int)status is >= 200 and < 300 && root is not null)
            return root.Elements().FirstOrDefault(e => e.Name.LocalName == action + "Result") ?? root;
        var error = root?.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
        throw new CloudApiException(service, action, Child(error, "Code") ?? status.ToString(), Child(error, "Message") ?? reply, status);
    }

    /// <summary>The text of <paramref name="element"/>'s child named <paramref name="name"/> (any namespace).</summary>
    public static string? Child(XElement? element, string name) => element?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
}
