using Shoal.Dashboard;
using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// A link to the scheduler's dashboard for a person (what <c>shoal dashboard-link</c> prints):
    /// the plain link when the dashboard is open (loopback), else a one-time sign-in link for
    /// <paramref name="role"/>, minted here from the cluster's token (no request to the scheduler).
    /// </summary>
    /// <exception cref="InvalidOperationException">The scheduler serves no dashboard, or it is closed and these credentials hold no cluster token.</exception>
    internal async Task<string> DashboardSignInLinkAsync(SecurityOptions? security, DashboardRole role, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var id = _scheduler.NextRequestId();
        var reply = await _scheduler.RequestAsync(id, new Envelope { Identity = new IdentityRequest { RequestId = id } }, default, cancellationToken).ConfigureAwait(false);
        var identity = reply.Message.IdentityReply;
        if (identity.DashboardLink.Length == 0) throw new InvalidOperationException($"the scheduler at {SchedulerAddress} serves no dashboard (started with --no-dashboard?)");
        if (identity.DashboardOpen) return identity.DashboardLink;
        if (DashboardCredentials.KeyFrom(security) is not { } key)
            throw new InvalidOperationException("the dashboard is closed (off loopback) and its sign-in codes derive from the cluster token, which these credentials lack: pass --token-file with the cluster's token");
        return DashboardSignIn.Link(identity.DashboardLink, new DashboardCredentials(key), role, lifetime);
    }
}
