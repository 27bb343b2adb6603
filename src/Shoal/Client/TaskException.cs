namespace Shoal;

/// <summary>
/// A task failed on a worker. Carries the remote exception's type name, message and stack trace;
/// in an in-process cluster the original exception is also the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class TaskException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TaskException(string key, string remoteTypeName, string remoteMessage, string remoteStackTrace, string worker, Exception? original = null)
        : base($"{remoteTypeName}: {Shorten(remoteMessage)} (task '{key}'{(worker.Length > 0 ? $" on {worker}" : "")})", original)
    {
        Key = key;
        RemoteTypeName = remoteTypeName;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
        Worker = worker;
    }

    /// <summary>
    /// How much of the remote message <see cref="Exception.Message"/> shows (as Dask's <c>admin.max-error-length</c>):
    /// a task may throw with a megabyte of text, which would flood every log that prints the exception.
    /// <see cref="RemoteMessage"/> keeps the whole text.
    /// </summary>
    public const int MaxMessageLength = 4000;

    private static string Shorten(string message) => message.Length <= MaxMessageLength
        ? message
        : string.Concat(message.AsSpan(0, MaxMessageLength), $"… ({message.Length - MaxMessageLength:N0} more characters in RemoteMessage)");

    /// <summary>The exception the client throws for a task that failed as <paramref name="error"/> says.</summary>
    internal static TaskException FromRemote(Protocol.Messages.RemoteError error, string key, Exception? original = null) =>
        new(key.Length > 0 ? key : error.Key, error.TypeName, error.Message, error.StackTrace, error.Worker, original);

    /// <summary>The key of the task that failed.</summary>
    public string Key { get; }

    /// <summary>The full name of the exception type thrown on the worker.</summary>
    public string RemoteTypeName { get; }

    /// <summary>The remote exception's whole message (<see cref="Exception.Message"/> shows at most <see cref="MaxMessageLength"/> characters of it).</summary>
    public string RemoteMessage { get; }

    /// <summary>The remote exception's stack trace, as text.</summary>
    public string RemoteStackTrace { get; }

    /// <summary>The worker it ran on.</summary>
    public string Worker { get; }

    /// <inheritdoc />
    public override string? StackTrace =>
        $"   --- remote stack trace ({RemoteTypeName} on {Worker}) ---{Environment.NewLine}{RemoteStackTrace}{Environment.NewLine}   --- local stack trace ---{Environment.NewLine}{base.StackTrace}";
}
