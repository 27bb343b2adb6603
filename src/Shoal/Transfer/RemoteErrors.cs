using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Transfer;

/// <summary>Turns exceptions into <see cref="RemoteError"/> messages and back.</summary>
internal static class RemoteErrors
{
    /// <summary>Describes an exception thrown by a task.</summary>
    public static RemoteError FromException(Exception exception, string key, string worker)
    {
        if (exception is System.Reflection.TargetInvocationException { InnerException: { } inner }) exception = inner;
        return new RemoteError
        {
            Key = key,
            Worker = worker,
            TypeName = exception.GetType().FullName ?? exception.GetType().Name,
            Message = exception.Message,
            StackTrace = exception.StackTrace ?? "",
            Segment = -1,
        };
    }

    /// <summary>An in-process original exception riding beside the error, if any.</summary>
    public static Exception? OriginalOf(RemoteError error, ReadOnlySpan<Segment> segments) =>
        error.Segment >= 0 && error.Segment < segments.Length && segments[error.Segment].Object is Exception e ? e : null;
}
