using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Google.Protobuf;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm;

/// <summary>What a fuzz run saw. The only acceptable outcome of any case is a clean close (or rejection).</summary>
internal sealed record FuzzReport(string Target, long Cases, long Accepted, long Rejected, long Incomplete, IReadOnlyList<string> Failures)
{
    /// <summary>True when no case ended in anything but a clean close.</summary>
    public bool Clean => Failures.Count == 0;
}

/// <summary>
/// Fuzzes the frame decoder and the handshake with random and mutated inputs from a fixed seed
/// (the same seed replays the same cases). Used by a bounded test and the long-running "fuzz" benchmark.
/// </summary>
internal static class WireFuzzer
{
    private const string GoodClientName = "good-client-after-the-fuzz-run";

    /// <summary>
    /// Feeds <paramref name="cases"/> inputs (valid frames mutated, or random bytes) to a frame
    /// decoder in random chunk sizes. Acceptable: frames decoded, a <see cref="ProtocolException"/>,
    /// or waiting for more input. Anything else is a failure.
    /// </summary>
    public static FuzzReport FuzzFrameDecoder(int seed, long cases, int maxFrameSize = 1 << 20)
    {
        var random = new Random(seed);
        long accepted = 0, rejected = 0, incomplete = 0;
        var failures = new List<string>();
        for (long i = 0; i < cases; i++)
        {
            var input = random.Next(10) == 0 ? RandomBytes(random, random.Next(0, 256)) : Mutate(random, ValidFrames(random));
            var decoder = new FrameDecoder(maxFrameSize, new ReceivedArrays());
            try
            {
                var pending = new List<byte>();
                var offset = 0;
                var frames = 0;
                while (offset < input.Length)
                {
                    var chunk = Math.Min(input.Length - offset, 1 + random.Next(random.Next(2) == 0 ? 16 : 4096));
                    pending.AddRange(new ArraySegment<byte>(input, offset, chunk));
                    offset += chunk;
                    var buffer = new ReadOnlySequence<byte>(pending.ToArray());
                    var before = buffer.Length;
                    while (decoder.TryDecode(ref buffer, out var frame))
                    {
                        frames++;
                        _ = frame!.Messages.Count;
                    }
                    pending.RemoveRange(0, (int)(before - buffer.Length));
                }
                if (pending.Count > 0 || decoder.InFrame) incomplete++;
                else accepted++;
            }
            catch (ProtocolException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                failures.Add($"frame case {i} (seed {seed}): {ex.GetType().Name}: {ex.Message} at {ex.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
            }
        }
        return new FuzzReport("frame-decoder", cases, accepted, rejected, incomplete, failures);
    }

    /// <summary>
    /// Sends <paramref name="cases"/> mutated handshakes (and random bytes) to a real listener that
    /// requires a token, <paramref name="parallel"/> at a time. Each connection must be closed by the
    /// listener within its handshake timeout, every failure it reports must be a protocol, I/O,
    /// authentication or timeout error, and it must still accept a good client at the end.
    /// </summary>
    public static async Task<FuzzReport> FuzzHandshakeAsync(int seed, long cases, int parallel = 32, CancellationToken cancellationToken = default)
    {
        var failures = new List<string>();
        var unexpected = new List<string>();
        var security = SecurityOptions.TemporaryToken();
        var options = new ListenerOptions
        {
            Role = Role.Scheduler,
            Name = "fuzz",
            Security = security,
            HandshakeTimeout = TimeSpan.FromMilliseconds(500),
            HandshakeFailed = (remote, error) =>
            {
                if (error is not (ProtocolException or IOException or TimeoutException or AuthenticationException))
                    lock (unexpected) unexpected.Add($"{error.GetType().Name}: {error.Message}");
            },
        };
        await using var listener = await Transports.ListenAsync("tcp://127.0.0.1:0", options, cancellationToken).ConfigureAwait(false);
        var endPoint = new IPEndPoint(IPAddress.Loopback, int.Parse(listener.Address[(listener.Address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        var accepting = Task.Run(async () =>
        {
            // A mutated handshake that still passes (it cannot prove the token, so none should) is closed here.
            while (await listener.AcceptAsync(CancellationToken.None).ConfigureAwait(false) is { } connection)
            {
                if (connection.Peer.Name != GoodClientName)
                    lock (unexpected) unexpected.Add($"a fuzzed handshake was accepted as {connection.Peer.Role} '{connection.Peer.Name}'");
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }, CancellationToken.None);

        var random = new Random(seed);
        long closed = 0;
        for (long start = 0; start < cases; start += parallel)
        {
            var batch = new List<Task<string?>>();
            for (var i = start; i < Math.Min(cases, start + parallel); i++)
            {
                var input = random.Next(8) == 0 ? RandomBytes(random, random.Next(0, 512)) : Mutate(random, ValidHandshake(random));
                var caseIndex = i;
                batch.Add(SendAndAwaitCloseAsync(endPoint, input, TimeSpan.FromSeconds(10), cancellationToken)
                    .ContinueWith(t => t.Result is { } why ? $"handshake case {caseIndex} (seed {seed}): {why}" : null, TaskScheduler.Default));
            }
            foreach (var result in await Task.WhenAll(batch).ConfigureAwait(false))
            {
                if (result is null) closed++;
                else failures.Add(result);
            }
        }

        // The listener must still serve a good client.
        try
        {
            await using var good = await Transports.ConnectAsync(listener.Address, new ConnectionOptions
            {
                Role = Role.Client, Name = GoodClientName, Security = security.ForRole(Role.Client),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failures.Add($"a good client was refused after the fuzz run: {ex.Message}");
        }
        lock (unexpected) failures.AddRange(unexpected);
        return new FuzzReport("handshake", cases, 0, closed, 0, failures);
    }

    private static async Task<string?> SendAndAwaitCloseAsync(IPEndPoint endPoint, byte[] input, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            try
            {
                if (input.Length > 0) await socket.SendAsync(input, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (Random.Shared.Next(2) == 0) socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                return null; // the listener already closed on us: fine
            }
            var buffer = new byte[4096];
            while (true)
            {
                int n;
                try
                {
                    n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    return null; // reset: closed
                }
                if (n == 0) return null;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"the listener did not close the connection within {timeout.TotalSeconds} s";
        }
    }

    /// <summary>A well-formed client handshake: preamble, Hello (often with token claims), sometimes a proof and frames after it.</summary>
    private static byte[] ValidHandshake(Random random)
    {
        var hello = new Hello
        {
            MinProtocol = (uint)random.Next(0, 3),
            MaxProtocol = (uint)random.Next(0, 3),
            ShoalVersion = "fuzz",
            Role = (Role)random.Next(0, 6),
            Name = new string('n', random.Next(0, 40)),
            AuthMethod = random.Next(4) switch { 0 => "none", 1 => "tls", _ => "token" },
            Nonce = ByteString.CopyFrom(RandomBytes(random, random.Next(3) == 0 ? random.Next(0, 64) : 32)),
            // Mostly the revision this build speaks, so the token proof path is reached; sometimes any other.
            AuthVersion = (uint)(random.Next(4) == 0 ? random.Next(0, 4) : 2),
        };
        if (random.Next(4) != 0) hello.Claims["role"] = random.Next(5) switch { 0 => "scheduler", 1 => "worker", 2 => "peer", 3 => "bogus", _ => "client" };
        var output = new ArrayBufferWriter<byte>();
        HandshakeCodec.WriteMessage(output, HandshakeKind.Hello, hello, withPreamble: true);
        if (random.Next(2) == 0)
            HandshakeCodec.WriteMessage(output, HandshakeKind.AuthProof, new AuthProof { Proof = ByteString.CopyFrom(RandomBytes(random, 32)) }, withPreamble: false);
        if (random.Next(3) == 0) output.Write(ValidFrames(random));
        return output.WrittenSpan.ToArray();
    }

    /// <summary>One to three well-formed frames with random messages and segments.</summary>
    private static byte[] ValidFrames(Random random)
    {
        var output = new ArrayBufferWriter<byte>();
        var frames = random.Next(1, 4);
        for (var f = 0; f < frames; f++)
        {
            var messages = new List<OutgoingMessage>();
            var segments = new List<Segment>();
            var count = random.Next(0, 5);
            for (var m = 0; m < count; m++)
            {
                var envelope = random.Next(3) switch
                {
                    0 => new Envelope { Ping = new Ping { RequestId = (ulong)random.NextInt64() } },
                    1 => new Envelope { ReleaseKeys = new ReleaseKeys { Keys = { "k" + random.Next(100), "x" } } },
                    _ => new Envelope { Pong = new Pong { RequestId = (ulong)random.Next() } },
                };
                var segmentCount = random.Next(0, 3);
                messages.Add(new OutgoingMessage(envelope, segments.Count, segmentCount));
                for (var s = 0; s < segmentCount; s++) segments.Add(new Segment(RandomBytes(random, random.Next(0, 300))));
            }
            FrameEncoder.WriteFrame(output, messages.ToArray(), segments.ToArray());
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>One to four mutations: bit flips, interesting bytes, truncation, insertion, duplication, a forged length.</summary>
    private static byte[] Mutate(Random random, byte[] input)
    {
        var bytes = new List<byte>(input);
        var rounds = random.Next(1, 5);
        for (var r = 0; r < rounds; r++)
        {
            if (bytes.Count == 0) bytes.Add((byte)random.Next(256));
            var at = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)(random.Next(5) switch { 0 => 0x00, 1 => 0xFF, 2 => 0x7F, 3 => 0x80, _ => random.Next(256) });
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes.InsertRange(at, RandomBytes(random, random.Next(1, 16)));
                    break;
                case 4:
                    var length = Math.Min(bytes.Count - at, random.Next(1, 64));
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                case 5:
                    // A forged little-endian u32 length somewhere: huge, zero, or off by a little.
                    var value = random.Next(4) switch { 0 => uint.MaxValue, 1 => 0u, 2 => (uint)random.Next(), _ => (uint)random.Next(0, 2048) };
                    for (var b = 0; b < 4 && at + b < bytes.Count; b++) bytes[at + b] = (byte)(value >> (8 * b));
                    break;
                default:
                    bytes.RemoveAt(at);
                    break;
            }
        }
        return [.. bytes];
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
