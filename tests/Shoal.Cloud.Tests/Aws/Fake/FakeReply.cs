using System.Net;
using System.Security;
using System.Text.Json.Nodes;

namespace Shoal.Cloud.Tests.Aws.Fake;

/// <summary>A refusal as the services give it.</summary>
internal sealed class FakeError(string code, string message, HttpStatusCode status = HttpStatusCode.BadRequest) : Exception(message)
{
    public string Code { get; } = code;

    public HttpStatusCode Status { get; } = status;

    public static FakeError Throttled(string service) => service switch
    {
        "ec2" => new("RequestLimitExceeded", "Request limit exceeded.", HttpStatusCode.ServiceUnavailable),
        "iam" => new("Throttling", "Rate exceeded", HttpStatusCode.BadRequest),
        _ => new("ThrottlingException", "Rate exceeded", HttpStatusCode.BadRequest),
    };

    public static FakeError Auth(string service, string code, string message) => new(code, message, HttpStatusCode.Forbidden);

    public static FakeError Invalid(string message) => new("InvalidParameterException", message);
}

/// <summary>An answer: status, content type and body.</summary>
internal sealed record FakeReply(HttpStatusCode Status, string ContentType, string Body)
{
    public static FakeReply Json(JsonObject body) => new(HttpStatusCode.OK, "application/x-amz-json-1.1", body.ToJsonString());

    /// <summary>The query protocol's answer: <c>&lt;ActionResponse&gt;&lt;ActionResult&gt;...</c> in the service's namespace.</summary>
    public static FakeReply Query(string action, string xmlns, string result) =>
        new(HttpStatusCode.OK, "text/xml", $"<{action}Response xmlns=\"{xmlns}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{Guid.NewGuid()}</RequestId></ResponseMetadata></{action}Response>");

    /// <summary>EC2's answer: the result's elements straight under <c>&lt;ActionResponse&gt;</c>.</summary>
    public static FakeReply Ec2(string action, string result) =>
        new(HttpStatusCode.OK, "text/xml", $"<{action}Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>{Guid.NewGuid()}</requestId>{result}</{action}Response>");

    public static FakeReply JsonError(FakeError e) =>
        new(e.Status, "application/x-amz-json-1.1", new JsonObject { ["__type"] = e.Code, ["message"] = e.Message }.ToJsonString());

    public static FakeReply QueryError(FakeError e) =>
        new(e.Status, "text/xml", $"<ErrorResponse><Error><Type>Sender</Type><Code>{e.Code}</Code><Message>{Escape(e.Message)}</Message></Error><RequestId>{Guid.NewGuid()}</RequestId></ErrorResponse>");

    public static FakeReply Ec2Error(FakeError e) =>
        new(e.Status, "text/xml", $"<Response><Errors><Error><Code>{e.Code}</Code><Message>{Escape(e.Message)}</Message></Error></Errors><RequestID>{Guid.NewGuid()}</RequestID></Response>");

    public static string Escape(string text) => SecurityElement.Escape(text);
}

/// <summary>Reading a JSON 1.1 body as the services do: the content type, an object, required fields of the right kind.</summary>
internal static class FakeJson
{
    public static JsonObject Parse(byte[] body, string? contentType)
    {
        if (contentType != "application/x-amz-json-1.1") throw new FakeError("SerializationException", $"unexpected content type {contentType}");
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new FakeError("SerializationException", "the body is not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new FakeError("SerializationException", e.Message);
        }
    }

    public static string String(this JsonObject request, string field) =>
        request[field] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text
        : throw FakeError.Invalid($"{field} is required and must be a non-empty string");

    public static string? OptionalString(this JsonObject request, string field) =>
        request[field] is null ? null : request.String(field);

    public static JsonArray Array(this JsonObject request, string field) =>
        request[field] as JsonArray ?? throw FakeError.Invalid($"{field} is required and must be a list");

    public static JsonObject Object(this JsonObject request, string field) =>
        request[field] as JsonObject ?? throw FakeError.Invalid($"{field} is required and must be an object");

    /// <summary>ECS tags: a list of {key, value}, keys 1-128 characters, at most 50.</summary>
    public static Dictionary<string, string> EcsTags(this JsonObject request)
    {
        if (request["tags"] is null) return [];
        var tags = request.Array("tags");
        if (tags.Count > 50) throw FakeError.Invalid("at most 50 tags");
        return tags.Select(t => (JsonObject)t!).ToDictionary(t => t.String("key"), t => t["value"]?.GetValue<string>() ?? "", StringComparer.Ordinal);
    }
}
