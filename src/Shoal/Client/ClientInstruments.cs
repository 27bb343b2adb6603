using System.Diagnostics.Metrics;

namespace Shoal.ClientSide;

/// <summary>
/// A client's instruments (meter <c>Shoal.Client</c>, one <see cref="Meter"/> per client, tagged
/// with the client's name): tasks submitted, values and bytes gathered and scattered, keys held.
/// A program exports them with its own OpenTelemetry MeterProvider (<c>AddMeter("Shoal.Client")</c>)
/// or any <see cref="MeterListener"/>; with none listening, recording costs a flag test.
/// </summary>
internal sealed class ClientInstruments : IDisposable
{
    public const string MeterName = "Shoal.Client";

    private readonly Counter<long> _submitted;
    private readonly Counter<long> _gatheredValues;
    private readonly Counter<long> _gatheredBytes;
    private readonly Counter<long> _scatteredBytes;

    /// <param name="client">The client's name (a tag on the meter).</param>
    /// <param name="keysHeld">How many keys the client holds now (read on collection).</param>
    public ClientInstruments(string client, Func<int> keysHeld)
    {
        Meter = new Meter(MeterName, Protocol.ProtocolVersion.ShoalVersion, [new KeyValuePair<string, object?>("client", client)]);
        _submitted = Meter.CreateCounter<long>("tasks.submitted", "{task}", "Tasks sent to the scheduler");
        _gatheredValues = Meter.CreateCounter<long>("gathered.values", "{value}", "Results fetched from workers");
        _gatheredBytes = Meter.CreateCounter<long>("gathered.bytes", "By", "Bytes of results fetched from workers (as the workers sized them)");
        _scatteredBytes = Meter.CreateCounter<long>("scattered.bytes", "By", "Bytes of values scattered to workers");
        Meter.CreateObservableGauge("keys", keysHeld, "{key}", "Keys (futures) the client holds");
    }

    public Meter Meter { get; }

    public void Submitted(int tasks) => _submitted.Add(tasks);

    public void Gathered(int values, long bytes)
    {
        _gatheredValues.Add(values);
        if (bytes > 0) _gatheredBytes.Add(bytes);
    }

    public void Scattered(long bytes)
    {
        if (bytes > 0) _scatteredBytes.Add(bytes);
    }

    public void Dispose() => Meter.Dispose();
}
