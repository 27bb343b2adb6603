using Shoal.Hosting;

namespace Shoal.Cli;

/// <summary>
/// What each command runs once its options are parsed. The default calls the real hosts;
/// tests pass their own to see the options a command produced without starting anything.
/// </summary>
internal sealed record HostEntryPoints(
    Func<SchedulerHostOptions, TextWriter, CancellationToken, Task<int>> RunScheduler,
    Func<WorkerHostOptions, TextWriter, CancellationToken, Task<int>> RunWorker,
    Func<LocalHostOptions, TextWriter, CancellationToken, Task<int>> RunLocal)
{
    /// <summary>The real hosts.</summary>
    public static HostEntryPoints Default { get; } =
        new(Telemetry.OtlpHosts.Scheduler(SchedulerHost.RunAsync), Telemetry.OtlpHosts.Worker(WorkerHost.RunAsync), LocalHost.RunAsync);
}
