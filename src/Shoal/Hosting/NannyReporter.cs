using Microsoft.Extensions.Logging;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;

namespace Shoal.Hosting;

/// <summary>
/// Tells the scheduler why a nanny's worker died (WorkerDied), so that the tasks it was running are
/// charged with a named cause. Best effort: the scheduler may be gone.
/// </summary>
internal sealed class NannyReporter(NannySpec spec, string nannyId, ILogger logger)
{
    /// <summary>
    /// Runs the report path once at start (connect, handshake, close) so that the code it needs is
    /// compiled before a worker dies: the first real report then takes milliseconds, not a JIT.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            connection.Send(new Envelope { CloseClient = new CloseClient() });
            await connection.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            NannyLog.ReportFailed(logger, spec.Name, e.Message);
        }
    }

    /// <summary>Tells the scheduler why the worker (process <paramref name="pid"/>) died.</summary>
    public async Task ReportAsync(string cause, int pid, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await using var connection = await ConnectAsync(timeout.Token).ConfigureAwait(false);
            connection.Send(new Envelope { WorkerDied = new WorkerDied { Name = spec.Name, Cause = cause, Pid = pid, NannyId = nannyId } });
            connection.Send(new Envelope { CloseClient = new CloseClient() });
            await connection.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            NannyLog.ReportFailed(logger, spec.Name, e.Message);
        }
    }

    private Task<Comm.IConnection> ConnectAsync(CancellationToken cancellationToken) =>
        Dial.ConnectAsync(spec.Options.SchedulerAddress, Role.Nanny, "nanny-" + spec.Name,
            new DialOptions { ConnectTimeout = TimeSpan.FromSeconds(5), Security = spec.Options.Security, Credentials = spec.Options.Credentials }, cancellationToken);
}
