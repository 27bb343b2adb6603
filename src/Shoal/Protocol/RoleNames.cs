using Shoal.Protocol.Messages;

namespace Shoal.Protocol;

/// <summary>Human names of <see cref="Role"/> values, for error messages and logs.</summary>
internal static class RoleNames
{
    /// <summary>"scheduler", "worker", "client", "peer", "nanny", or "server"/"peer" when unspecified.</summary>
    public static string Of(Role role) => role switch
    {
        Role.Scheduler => "scheduler",
        Role.Worker => "worker",
        Role.Client => "client",
        Role.Peer => "peer",
        Role.Nanny => "nanny",
        _ => "peer",
    };
}
