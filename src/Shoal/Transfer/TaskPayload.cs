using Google.Protobuf;
using Shoal.Protocol;

namespace Shoal.Transfer;

/// <summary>
/// What the scheduler keeps of a task's code and arguments: the opaque run-spec segments as they
/// arrived from the client and the hashes of the code they need. It never looks inside.
/// </summary>
/// <param name="Run">The run-spec segments (bytes, or one object segment in-process).</param>
/// <param name="Code">SHA-256 hashes of the assemblies the task needs.</param>
internal sealed record TaskPayload(Segment[] Run, ByteString[] Code)
{
    public static readonly ByteString[] NoCode = [];
}

/// <summary>A task's failure as the scheduler keeps it: the description, and in-process the original exception.</summary>
/// <param name="Error">The description sent to clients.</param>
/// <param name="Original">The original exception, when everything runs in one process.</param>
internal sealed record TaskErrorPayload(Protocol.Messages.RemoteError Error, Exception? Original) : TaskFailure
{
    /// <inheritdoc/>
    public override Protocol.Messages.RemoteError Describe(string key)
    {
        var error = Error.Clone();
        error.Key = key;
        return error;
    }

    /// <summary>The remote type and message (what a log line or a story shows).</summary>
    public override string ToString() => $"{Error.TypeName}: {Error.Message}";
}
