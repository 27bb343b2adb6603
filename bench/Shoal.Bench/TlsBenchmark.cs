using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shoal.Comm;
using Shoal.Protocol.Messages;

namespace Shoal.Bench;

/// <summary>
/// What TLS costs the comm layer: tiny messages/s one-way, sequential round trips/s and bulk
/// segment bandwidth, over tcp:// and tls:// loopback (same connection code, TLS as a decorator).
/// Args: <c>--messages N</c> (default 1,000,000), <c>--gigabytes G</c> (bulk bytes, default 1), <c>--seconds S</c> (round trips, default 2).
/// </summary>
public sealed class TlsBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "tls";

    /// <inheritdoc />
    public string Description => "tcp:// vs tls:// loopback: tiny messages/s, round trips/s, bulk GB/s";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var messages = 1_000_000;
        var gigabytes = 1.0;
        var seconds = 2.0;
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--messages") messages = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--gigabytes") gigabytes = double.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--seconds") seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
        }

        var security = SecurityOptions.Temporary();
        var results = new Dictionary<string, object> { ["benchmark"] = Name };
        foreach (var (scheme, credentials) in new[] { ("tcp", (SecurityOptions?)null), ("tls", security) })
        {
            await using var listener = await Transports.ListenAsync($"{scheme}://127.0.0.1:0",
                new ListenerOptions { Role = Role.Worker, Name = "bench", Security = credentials }, cancellationToken);
            var connecting = Transports.ConnectAsync(listener.Address, new ConnectionOptions { Role = Role.Peer, Name = "bench", Security = credentials }, cancellationToken);
            await using var server = (await listener.AcceptAsync(cancellationToken))!;
            await using var client = await connecting;

            await OneWayAsync(client, server, 20_000, cancellationToken);
            var oneWay = await OneWayAsync(client, server, messages, cancellationToken);
            var trips = await RoundTripsAsync(client, server, TimeSpan.FromSeconds(seconds), cancellationToken);
            var bulk = await BulkAsync(client, server, (long)(gigabytes * 1e9), cancellationToken);
            Console.Error.WriteLine($"{scheme}: {oneWay:N0} tiny messages/s, {trips:N0} round trips/s, {bulk:N2} GB/s bulk");
            results[$"{scheme}_one_way_messages_per_s"] = Math.Round(oneWay);
            results[$"{scheme}_round_trips_per_s"] = Math.Round(trips);
            results[$"{scheme}_bulk_gb_per_s"] = Math.Round(bulk, 3);
        }
        results["tls_vs_tcp_messages"] = Math.Round((double)results["tls_one_way_messages_per_s"] / (double)results["tcp_one_way_messages_per_s"], 3);
        results["tls_vs_tcp_bulk"] = Math.Round((double)results["tls_bulk_gb_per_s"] / (double)results["tcp_bulk_gb_per_s"], 3);
        Console.WriteLine(JsonSerializer.Serialize(results));
        return 0;
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

    private static async Task<double> RoundTripsAsync(IConnection client, IConnection server, TimeSpan duration, CancellationToken cancellationToken)
    {
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
        client.Send(new Envelope { Ping = new Ping { RequestId = ulong.MaxValue } });
        await echoing;
        return trips / elapsed;
    }

    /// <summary>Sends <paramref name="bytes"/> as 16 MiB segments (as a worker-to-worker transfer does): GB/s.</summary>
    private static async Task<double> BulkAsync(IConnection client, IConnection server, long bytes, CancellationToken cancellationToken)
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
        return total / stopwatch.Elapsed.TotalSeconds / 1e9;
    }
}
