using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Shoal.Metrics;

/// <summary>
/// One meter's instruments as Prometheus text, through prometheus-net's bridge for
/// System.Diagnostics.Metrics (see docs/ARCHITECTURE.md, "Metrics", for why this exporter). Each
/// export has its own registry and listens to its own <see cref="Meter"/> instance only, so two
/// schedulers (or a scheduler and its in-process workers) in one process never mix their values.
/// </summary>
internal sealed class PrometheusExport : IDisposable
{
    /// <summary>Buckets for durations in seconds: 100 µs to ~100 s.</summary>
    private static readonly double[] DurationBuckets = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100];

    /// <summary>Buckets for sizes in bytes: 1 KiB to 1 GiB.</summary>
    private static readonly double[] ByteBuckets = [1 << 10, 1 << 14, 1 << 17, 1 << 20, 1 << 24, 1 << 27, 1 << 30];

    private readonly IDisposable _adapter;

    public PrometheusExport(Meter meter)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            // In 8.2 the factory wins over Registry, and its default is the process-wide registry.
            MetricFactory = Prometheus.Metrics.WithCustomRegistry(Registry),
            InstrumentFilterPredicate = instrument => ReferenceEquals(instrument.Meter, meter),
            ResolveHistogramBuckets = instrument => instrument.Unit == "By" ? ByteBuckets : DurationBuckets,
        });
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Serves the text format at <c>/metrics</c>.</summary>
    public void Map(IEndpointRouteBuilder endpoints) => endpoints.MapMetrics("/metrics", Registry);

    public void Dispose() => _adapter.Dispose();
}
