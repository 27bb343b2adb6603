namespace Shoal.Extensions.Hosting;

/// <summary>
/// What a hosted Shoal client connects with, bound from configuration (by default the <c>Shoal</c> section:
/// <c>Shoal:SchedulerAddress</c>, <c>Shoal:Name</c>, … or <c>SHOAL__SCHEDULERADDRESS</c> in the environment).
/// </summary>
public sealed class ShoalClientOptions
{
    /// <summary>The scheduler's address (<c>tcp://host:port</c>, <c>tls://host:port</c>). Required.</summary>
    public string? SchedulerAddress { get; set; }

    /// <summary>The client's name, shown by the scheduler; null: a generated one.</summary>
    public string? Name { get; set; }

    /// <summary>How long to keep trying to reach the scheduler at start.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a scheduler that is not up yet (zero: fail at once, as the client does).</summary>
    public TimeSpan WaitForScheduler { get; set; } = TimeSpan.Zero;

    /// <summary>A token file (<c>shoal1.client....</c>); null: the credentials this machine knows for the address.</summary>
    public string? TokenFile { get; set; }

    /// <summary>Whether fetched results are reported so that the scheduler can ask for them back (see <see cref="ClientOptions.HoldResultsForRecovery"/>).</summary>
    public bool HoldResultsForRecovery { get; set; } = true;
}
