using Shoal.Hosting;

namespace Shoal.Cli.Telemetry;

/// <summary>The hosts with their meter pushed over OTLP for as long as they run, when their options name a collector.</summary>
internal static class OtlpHosts
{
    public static Func<SchedulerHostOptions, TextWriter, CancellationToken, Task<int>> Scheduler(Func<SchedulerHostOptions, TextWriter, CancellationToken, Task<int>> run) =>
        async (options, stdout, cancellationToken) =>
        {
            using var export = OtlpExport.Start(options.OtlpEndpoint, options.OtlpProtocol, options.OtlpInterval, "shoal-scheduler", Metrics.SchedulerMetrics.MeterName);
            return await run(options, stdout, cancellationToken).ConfigureAwait(false);
        };

    public static Func<WorkerHostOptions, TextWriter, CancellationToken, Task<int>> Worker(Func<WorkerHostOptions, TextWriter, CancellationToken, Task<int>> run) =>
        async (options, stdout, cancellationToken) =>
        {
            // Under nannies the worker processes export (the nanny passes the flags on); a nanny has no meter of its own.
            using var export = options.Nanny ? null
                : OtlpExport.Start(options.OtlpEndpoint, options.OtlpProtocol, options.OtlpInterval, "shoal-worker", Execution.WorkerInstruments.MeterName);
            return await run(options, stdout, cancellationToken).ConfigureAwait(false);
        };
}
