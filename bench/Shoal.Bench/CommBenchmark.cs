using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shoal.Comm;
using Shoal.Protocol.Messages;

namespace Shoal.Bench;

/// <summary>
/// Tiny-message throughput and round-trip rate of the comm layer, over TCP loopback and inproc.
/// Args: <c>--messages N</c> (one-way and echo message count, default 1,000,000 for tcp) and
/// <c>--seconds S</c> (duration of the ping-pong phase, default 2).
/// </summary>
public sealed class CommBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "comm";

    /// <inheritdoc />
    public string Description => "comm layer: tiny messages/s one-way and echoed, and round trips/s, over tcp loopback and inproc";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var messages = 1_000_000;
        var seconds = 2.0;
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--messages") messages = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--seconds") seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
        }

        var results = new Dictionary<string, object>{ ["benchmark"] = Name };
        foreach (var (transport, address) in new[] { ("tcp", "tcp://127.0.0.1:0"), ("inproc", "inproc://comm-bench-" + Guid.NewGuid().ToString("N")) })
        {
            await using var listener = await Transports.ListenAsync(address, new ListenerOptions { Role = Role.Scheduler, Name = "bench" }, cancellationToken);
            var connecting = Transports.ConnectAsync(listener.Address, new ConnectionOptions { Role = Role.Worker, Name = "bench" }, cancellationToken);
            await using var server = (await listener.AcceptAsync(cancellationToken))!;
            await using var client = await connecting;

            // Warm up the JIT and the buffers.
            await OneWayAsync(client, server, 20_000, cancellationToken);
            await EchoAsync(client, server, 20_000, cancellationToken);

            var oneWay = await OneWayAsync(client, server, messages, cancellationToken);
            Console.Error.WriteLine($"{transport}: one-way {oneWay:N0} messages/s");
            var echo = await EchoAsync(client, server, messages / 2, cancellationToken);
            Console.Error.WriteLine($"{transport}: echoed {echo:N0} requests/s (request + reply)");
            var roundTrips = await PingPongAsync(client, server, TimeSpan.FromSeconds(seconds), cancellationToken);
            Console.Error.WriteLine($"{transport}: {roundTrips:N0} sequential round trips/s ({1e6 / roundTrips:N1} µs each)");

            results[$"{transport}_one_way_messages_per_s"] = Math.Round(oneWay);
            results[$"{transport}_echo_requests_per_s"] = Math.Round(echo);
            results[$"{transport}_round_trips_per_s"] = Math.Round(roundTrips);
            results[$"{transport}_round_trip_us"] = Math.Round(1e6 / roundTrips, 1);
        }
        Console.WriteLine(JsonSerializer.Serialize(results));
        return 0;
    }

    private static Envelope TaskDone(int i) => new() { TaskDone = new TaskDone { Key = "inc-" + i.ToString(CultureInfo.InvariantCulture), Nbytes = 8, TypeName = "System.Int32" } };

    /// <summary>Client sends N tiny messages, server receives them all: messages/s.</summary>
    private static async Task<double> OneWayAsync(IConnection client, IConnection server, int count, CancellationToken cancellationToken)
    {
        var envelopes = Enumerable.Range(0, 1000).Select(TaskDone).ToArray();
        var stopwatch = Stopwatch.StartNew();
        var receiving = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
                if (await server.ReceiveAsync(cancellationToken) is null) throw new InvalidOperationException("closed early");
        }, cancellationToken);
        for (var i = 0; i < count; i++)
        {
            client.Send(envelopes[i % envelopes.Length]);
            // Keep the unbounded send queue bounded, as a real sender would.
            if ((i & 0xFFFF) == 0xFFFF) await client.FlushAsync(cancellationToken);
        }
        await receiving;
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Client streams requests; the server answers each one; the client waits for all answers.</summary>
    private static async Task<double> EchoAsync(IConnection client, IConnection server, int count, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var echoing = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var request = await server.ReceiveAsync(cancellationToken) ?? throw new InvalidOperationException("closed early");
                server.Send(new Envelope { Pong = new Pong { RequestId = request.Message.Ping.RequestId } });
            }
        }, cancellationToken);
        var receiving = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
                if (await client.ReceiveAsync(cancellationToken) is null) throw new InvalidOperationException("closed early");
        }, cancellationToken);
        var inFlightWindow = 50_000;
        for (var i = 0; i < count; i++)
        {
            client.Send(new Envelope { Ping = new Ping { RequestId = (ulong)i } });
            if (i % inFlightWindow == inFlightWindow - 1) await client.FlushAsync(cancellationToken);
        }
        await Task.WhenAll(echoing, receiving);
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>One message in flight at a time: round trips/s (latency bound).</summary>
    private static async Task<double> PingPongAsync(IConnection client, IConnection server, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
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
}
