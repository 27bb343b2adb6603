using System.Net;

namespace Shoal.Cloud;

/// <summary>A cloud API refused a call: which service, its error code and message, and the HTTP status.</summary>
public sealed class CloudApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="service">The service called (ecs, iam, logs, ec2, compute).</param>
    /// <param name="action">The call.</param>
    /// <param name="code">The service's error code (ThrottlingException, QUOTA_EXCEEDED, ...).</param>
    /// <param name="message">The service's message.</param>
    /// <param name="status">The HTTP status.</param>
    public CloudApiException(string service, string action, string code, string message, HttpStatusCode status)
        : base($"{service} {action} failed: {code}: {message}")
    {
        Service = service;
        Action = action;
        Code = code;
        Status = status;
    }

    /// <summary>The service called.</summary>
    public string Service { get; }

    /// <summary>The call.</summary>
    public string Action { get; }

    /// <summary>The service's error code.</summary>
    public string Code { get; }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>True when the object acted on does not exist (any more): removing it is then done.</summary>
    public bool IsNotFound =>
        Status == HttpStatusCode.NotFound
        || Code is "ClusterNotFoundException" or "NoSuchEntity" or "ResourceNotFoundException" or "InvalidGroup.NotFound" or "notFound"
        || (Code == "InvalidParameterException" && Message.Contains("not found", StringComparison.OrdinalIgnoreCase));
}
