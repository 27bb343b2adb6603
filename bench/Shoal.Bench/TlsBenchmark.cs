using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shoal.Comm;
using Shoal.Protocol.Messages;
using Shoal.Protocol;

namespace Shoal.Bench;

/// <summary>
/// What TLS costs the comm layer: tiny messages/s one-way, sequential round trips/s and bulk
/// segment bandwidth, over tcp:// and tls:// loopback (same connection code, TLS as a decorator),
/// and beside them the ceiling of this machine: a bare <c>SslStream</c> pair with the same
/// certificates (<see cref="TlsRawCeiling"/>). Each repetition runs tcp, tls and raw one after
/// the other (interleaved, so that a shared machine's drift hits all three); figures are medians.
/// Bulk also reports the process CPU time per GB, which load from other processes disturbs less
/// than GB/s.
/// Args: <c>--messages N</c> (default 1,000,000), <c>--gigabytes G</c> (bulk bytes per repetition,
/// default 1), <c>--seconds S</c> (round trips, default 2), <c>--reps R</c> (default 3),
/// <c>--only tiny,trips,bulk,raw</c> (default all), <c>--schemes tcp,tls</c> (default both).
/// </summary>
public sealed class TlsBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "tls";

    /// <inheritdoc />
    public string Description => "tcp:// vs tls:// loopback (and a bare SslStream pair): tiny messages/s, round trips/s, bulk GB/s";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var messages = a.Int("messages", 1_000_000);
        var gigabytes = double.Parse(a.Value("gigabytes") ?? "1", CultureInfo.InvariantCulture);
        var seconds = double.Parse(a.Value("seconds") ?? "2", CultureInfo.InvariantCulture);
        var reps = a.Int("reps", 3);
        var only = a.List("only", "tiny", "trips", "bulk", "raw").SelectMany(o => o.Split(',')).ToHashSet(StringComparer.Ordinal);
        var schemes = a.List("schemes", "tcp", "tls").SelectMany(o => o.Split(',')).ToHashSet(StringComparer.Ordinal);
        var bulkBytes = (long)(gigabytes * 1e9);

        var security = SecurityOptions.Temporary();
        var pairs = new List<(string Scheme, IConnection Client, IConnection Server, IListener Listener)>();
        var figures = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        void Add(string key, double value) => (figures.TryGetValue(key, out var list) ? list : figures[key] = []).Add(value);
        try
        {
            foreach (var (scheme, credentials) in new[] { ("tcp", (SecurityOptions?)null), ("tls", security) })
            {
                if (!schemes.Contains(scheme)) continue;
                var listener = await Transports.ListenAsync($"{scheme}://127.0.0.1:0",
                    new ListenerOptions { Role = Role.Worker, Name = "bench", Security = credentials }, cancellationToken);
                var connecting = Transports.ConnectAsync(listener.Address, new ConnectionOptions { Role = Role.Peer, Name = "bench", Security = credentials }, cancellationToken);
                var server = (await listener.AcceptAsync(cancellationToken))!;
                var client = await connecting;
                pairs.Add((scheme, client, server, listener));
                await OneWayAsync(client, server, 20_000, cancellationToken); // JIT and buffers
                await BulkAsync(client, server, 64 << 20, cancellationToken);
            }
            await using var raw = only.Contains("raw") ? await TlsRawCeiling.ConnectAsync(security, cancellationToken) : null;
            if (raw is not null) await raw.TransferAsync(64 << 20, cancellationToken);

            for (var rep = 0; rep < reps; rep++)
            {
                foreach (var (scheme, client, server, _) in pairs)
                {
                    var line = $"rep {rep} {scheme}:";
                    if (only.Contains("tiny"))
                    {
                        var oneWay = await OneWayAsync(client, server, messages, cancellationToken);
                        Add($"{scheme}_one_way_messages_per_s", oneWay);
                        line += $" {oneWay:N0} tiny messages/s,";
                    }
                    if (only.Contains("trips"))
                    {
                        var (trips, cpuPerTrip) = await RoundTripsAsync(client, server, TimeSpan.FromSeconds(seconds), cancellationToken);
                        Add($"{scheme}_round_trips_per_s", trips);
                        Add($"{scheme}_round_trip_cpu_us", cpuPerTrip);
                        line += $" {trips:N0} round trips/s ({cpuPerTrip:N1} CPU µs each),";
                    }
                    if (only.Contains("bulk"))
                    {
                        var (gbs, cpu) = await Measured(() => BulkAsync(client, server, bulkBytes, cancellationToken));
                        Add($"{scheme}_bulk_gb_per_s", gbs);
                        Add($"{scheme}_bulk_cpu_s_per_gb", cpu);
                        line += $" {gbs:N2} GB/s bulk ({cpu:N2} CPU s/GB)";
                    }
                    Console.Error.WriteLine(line.TrimEnd(','));
                }
                if (raw is not null)
                {
                    var (gbs, cpu) = await Measured(() => raw.TransferAsync(bulkBytes, cancellationToken));
                    Add("raw_sslstream_gb_per_s", gbs);
                    Add("raw_sslstream_cpu_s_per_gb", cpu);
                    Console.Error.WriteLine($"rep {rep} bare SslStream pair ({raw.CipherSuite}): {gbs:N2} GB/s ({cpu:N2} CPU s/GB)");
                }
            }
        }
        finally
        {
            foreach (var (_, client, server, listener) in pairs)
            {
                await client.DisposeAsync();
                await server.DisposeAsync();
                await listener.DisposeAsync();
            }
        }

        var results = new Dictionary<string, object> { ["benchmark"] = Name, ["reps"] = reps };
        foreach (var (key, values) in figures)
        {
            var digits = key.Contains("gb", StringComparison.Ordinal) ? 3 : 0;
            results[key] = Math.Round(BenchStats.Median(values), digits);
            results[key + "_all"] = values.Select(v => Math.Round(v, digits)).ToArray();
        }
        if (figures.ContainsKey("tls_one_way_messages_per_s") && figures.ContainsKey("tcp_one_way_messages_per_s"))
            results["tls_vs_tcp_messages"] = Ratio(figures, "tls_one_way_messages_per_s", "tcp_one_way_messages_per_s");
        if (figures.ContainsKey("tls_bulk_gb_per_s") && figures.ContainsKey("tcp_bulk_gb_per_s"))
            results["tls_vs_tcp_bulk"] = Ratio(figures, "tls_bulk_gb_per_s", "tcp_bulk_gb_per_s");
        Console.WriteLine(JsonSerializer.Serialize(results));
        return 0;
    }

    private static double Ratio(Dictionary<string, List<double>> figures, string over, string under) =>
        Math.Round(BenchStats.Median(figures[over]) / BenchStats.Median(figures[under]), 3);

    /// <summary>Runs a transfer that returns bytes/s; returns GB/s and the process's CPU seconds per GB.</summary>
    private static async Task<(double GbPerSecond, double CpuSecondsPerGb)> Measured(Func<Task<(long Bytes, double Seconds)>> transfer)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var (bytes, elapsed) = await transfer();
        process.Refresh();
        var used = (process.TotalProcessorTime - cpu).TotalSeconds;
        return (bytes / elapsed / 1e9, used / (bytes / 1e9));
    }

    private static async Task<double> OneWayAsync(IConnection client, IConnection server, int count, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var receiving = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
                if (await server.ReceiveAsync(cancellationToken) is null) throw new InvalidOperationException("closed early");
        }, cancellationToken);
        var envelope = new Envelope { TaskDone = new TaskDone { Key = "inc-123", Nbytes = 8, TypeName = "System.Int32" } };
        for (var i = 0; i < count; i++)
        {
            client.Send(envelope);
            if ((i & 0xFFFF) == 0xFFFF) await client.FlushAsync(cancellationToken);
        }
        await receiving;
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Sequential ping/pong for <paramref name="duration"/>: round trips/s and the process's CPU µs per round trip (both ends).</summary>
    private static async Task<(double PerSecond, double CpuMicroseconds)> RoundTripsAsync(IConnection client, IConnection server, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var echoing = Task.Run(async () =>
        {
            while (await server.ReceiveAsync(cancellationToken) is { } request)
            {
                if (request.Message.Ping.RequestId == ulong.MaxValue) return;
                server.Send(new Envelope { Pong = new Pong { RequestId = request.Message.Ping.RequestId } });
            }
        }, cancellationToken);
        var stopwatch = Stopwatch.StartNew();
        long trips = 0;
        while (stopwatch.Elapsed < duration)
        {
            client.Send(new Envelope { Ping = new Ping { RequestId = (ulong)trips } });
            _ = await client.ReceiveAsync(cancellationToken) ?? throw new InvalidOperationException("closed early");
            trips++;
        }
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        process.Refresh();
        var used = (process.TotalProcessorTime - cpu).TotalSeconds;
        client.Send(new Envelope { Ping = new Ping { RequestId = ulong.MaxValue } });
        await echoing;
        return (trips / elapsed, used / trips * 1e6);
    }

    /// <summary>Sends <paramref name="bytes"/> as 16 MiB segments (as a worker-to-worker transfer does); returns bytes and seconds.</summary>
    private static async Task<(long Bytes, double Seconds)> BulkAsync(IConnection client, IConnection server, long bytes, CancellationToken cancellationToken)
    {
        var chunk = new byte[16 * 1024 * 1024];
        Random.Shared.NextBytes(chunk);
        var count = (int)Math.Max(1, bytes / chunk.Length);
        var stopwatch = Stopwatch.StartNew();
        var receiving = Task.Run(async () =>
        {
            long received = 0;
            for (var i = 0; i < count; i++)
            {
                var message = await server.ReceiveAsync(cancellationToken) ?? throw new InvalidOperationException("closed early");
                received += message.Segments.Span[0].Length;
            }
            return received;
        }, cancellationToken);
        for (var i = 0; i < count; i++)
        {
            client.Send(new Envelope { Ping = new Ping { RequestId = (ulong)i } }, [new Segment(chunk)]);
            if ((i & 3) == 3) await client.FlushAsync(cancellationToken);
        }
        var total = await receiving;
        return (total, stopwatch.Elapsed.TotalSeconds);
    }
}
