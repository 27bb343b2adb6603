using Shoal.Dashboard;
using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// The scheduler's dashboard, null when it serves none. Off loopback, when this client holds
    /// the cluster's token, a one-time sign-in link (valid 10 minutes, usable once) minted here.
    /// </summary>
    public string? DashboardLink { get; private set; }

    private async Task LearnDashboardLinkAsync(SecurityOptions? security, CancellationToken cancellationToken)
    {
        var id = _scheduler.NextRequestId();
        var reply = await _scheduler.RequestAsync(id, new Envelope { Identity = new IdentityRequest { RequestId = id } }, default, cancellationToken).ConfigureAwait(false);
        var identity = reply.Message.IdentityReply;
        if (identity.DashboardLink.Length == 0) return;
        DashboardLink = identity.DashboardOpen || DashboardCredentials.KeyFrom(security) is not { } key
            ? identity.DashboardLink
            : DashboardSignIn.Link(identity.DashboardLink, new DashboardCredentials(key), DashboardRole.Admin, TimeSpan.FromMinutes(10));
    }
}
