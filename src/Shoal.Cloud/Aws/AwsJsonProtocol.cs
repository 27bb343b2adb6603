using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Shoal.Cloud.Aws;

/// <summary>
/// The AWS JSON 1.1 protocol (ECS, CloudWatch Logs): POST / with <c>X-Amz-Target: Prefix.Action</c>
/// and a JSON body; errors are <c>{"__type": "...#Code", "message": "..."}</c>.
/// </summary>
internal sealed class AwsJsonProtocol(AwsConnection connection, string service, string targetPrefix)
{
    private static readonly MediaTypeHeaderValue Json = new("application/x-amz-json-1.1");

    public Task<JsonObject> CallAsync(string action, JsonObject body, CancellationToken cancellationToken) =>
        connection.Retry.RunAsync(ct => CallOnceAsync(action, body, ct), e => e.Code is "ThrottlingException" or "ServerException" or "ServiceUnavailableException", cancellationToken);

    private async Task<JsonObject> CallOnceAsync(string action, JsonObject body, CancellationToken cancellationToken)
    {
        var text = body.ToJsonString();
        var (status, reply) = await connection.SendAsync(service, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, connection.EndpointOf(service))
            {
                Content = new ByteArrayContent(Encoding.UTF8.GetBytes(text)) { Headers = { ContentType = Json } },
            };
            request.Headers.TryAddWithoutValidation("X-Amz-Target", $"{targetPrefix}.{action}");
            return request;
        }, cancellationToken).ConfigureAwait(false);
        JsonObject? parsed = null;
        try
        {
            parsed = reply.Length == 0 ? [] : JsonNode.Parse(reply) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            // not JSON: reported below with the status
        }

        if ((int)status is >= 200 and < 300 && parsed is not null) return parsed;
        var type = parsed?["__type"]?.GetValue<string>() ?? status.ToString();
        var code = type[(type.LastIndexOf('#') + 1)..];
        var message = (parsed?["message"] ?? parsed?["Message"])?.GetValue<string>() ?? reply;
        throw new CloudApiException(service, action, code, message, status);
    }
}
