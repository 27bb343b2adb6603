using Shoal.Protocol.Messages;

namespace Shoal.Transfer;

/// <summary>
/// What a task failed with, as the scheduler's and the workers' state machines keep it: an error
/// a worker reported (<see cref="TaskErrorPayload"/>) or one the scheduler decided (a worker killed
/// it, a dependency cycle, lost data, a missing dependency). Typed, so that neither state machine
/// carries <c>object</c>; the server turns it into the <see cref="RemoteError"/> clients receive.
/// </summary>
internal abstract record TaskFailure
{
    /// <summary>The description sent to clients: the failure's type name and its text, no stack.</summary>
    public virtual RemoteError Describe(string key) =>
        new() { TypeName = GetType().FullName ?? "error", Message = ToString(), Key = key, StackTrace = "" };
}
