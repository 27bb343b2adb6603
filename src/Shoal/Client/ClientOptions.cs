using Microsoft.Extensions.Logging;

namespace Shoal;

/// <summary>Options for <see cref="Client.ConnectAsync(string, ClientOptions?, CancellationToken)"/>.</summary>
public sealed record ClientOptions
{
    /// <summary>The client's name, shown by the scheduler.</summary>
    public string Name { get; init; } = $"client-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>How long to keep trying to reach the scheduler.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long to wait for a scheduler that is not up yet (nothing listens on its port, its name
    /// does not resolve yet), retrying with back-off and logging one line per attempt interval.
    /// Zero (the default): fail at the first such error. <see cref="Timeout.InfiniteTimeSpan"/>:
    /// wait until cancelled. Past it, <see cref="SchedulerUnreachableException"/>.
    /// </summary>
    public TimeSpan WaitForScheduler { get; init; } = TimeSpan.Zero;

    /// <summary>Where the client logs; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Credentials (certificates and/or token). Null: those this process knows for the address: a
    /// <see cref="LocalCluster"/> of this process, or the token file a scheduler on this machine wrote.
    /// </summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>Where credentials nobody passed are found: this user's unless the process (a test) passes its own.</summary>
    internal Shoal.Security.LocalCredentials Credentials { get; init; } = Shoal.Security.LocalCredentials.ForThisUser;

    /// <summary>
    /// True (the default): results this client fetched and still holds are reported to the
    /// scheduler, which asks the client to put them back on a worker should every worker holding
    /// them die, rather than computing them again. False: such results are recomputed.
    /// </summary>
    public bool HoldResultsForRecovery { get; init; } = true;

    /// <summary>A captured value larger than this draws a warning that suggests <see cref="Client.ScatterAsync{T}(T, bool, CancellationToken)"/>.</summary>
    public long LargeCaptureWarningBytes { get; init; } = 4 * 1024 * 1024;
}
