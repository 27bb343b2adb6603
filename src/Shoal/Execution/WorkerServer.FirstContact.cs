using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;

namespace Shoal.Execution;

// Start in any order: a worker started before its scheduler is reachable (a pod whose scheduler
// Service has no endpoint yet, a container started first) waits for it in this process, retrying
// with back-off, until its death timeout. Before this, the worker failed at once and its nanny
// started a new process every 2 s for as long as the scheduler was missing.
internal sealed partial class WorkerServer
{
    /// <summary>How the worker dials its scheduler: with the credentials it has (found on disk, when none were given).</summary>
    private DialOptions SchedulerDialOptions =>
        new() { LoggerFactory = _options.LoggerFactory, ConnectTimeout = TimeSpan.FromSeconds(10), Security = _security };

    /// <summary>
    /// Dials the scheduler until it answers or the death timeout passes (null: waits until
    /// cancelled; zero or less: one attempt). Credentials nobody gave are looked for again before
    /// each attempt: a scheduler on this machine writes its token file as it starts. The worker's
    /// listener and peer pool are made afterwards, with the credentials that got through.
    /// </summary>
    /// <exception cref="SchedulerUnreachableException">The death timeout passed first.</exception>
    private async Task<IConnection> WaitForSchedulerAsync(CancellationToken cancellationToken)
    {
        var given = _options.Security is not null;
        return await SchedulerWait.ConnectAsync(_options.SchedulerAddress, Role.Worker, _options.Name,
            () =>
            {
                if (!given) _security = _options.Credentials.Find(_options.SchedulerAddress);
                return SchedulerDialOptions;
            },
            given, _options.DeathTimeout, _logger, cancellationToken).ConfigureAwait(false);
    }
}
