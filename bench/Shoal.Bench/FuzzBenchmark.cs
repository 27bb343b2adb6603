using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shoal.Comm;
using Shoal.Security;

namespace Shoal.Bench;

/// <summary>
/// Long fuzz run of the frame decoder and the handshake, from a fixed seed (replayable). Args:
/// <c>--seed N</c> (default 1), <c>--frames N</c> (decoder cases, default 1,000,000),
/// <c>--handshakes N</c> (handshake cases over loopback, default 20,000). Exit code 1 when any
/// case ended in anything but a clean close; the failing cases are printed on stderr.
/// </summary>
public sealed class FuzzBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "fuzz";

    /// <inheritdoc />
    public string Description => "fuzzes the frame decoder and the handshake with random and mutated input; only clean closes are acceptable";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var seed = 1;
        long frames = 1_000_000, handshakes = 20_000;
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--seed") seed = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--frames") frames = long.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--handshakes") handshakes = long.Parse(args[++i], CultureInfo.InvariantCulture);
        }

        var clock = Stopwatch.StartNew();
        var decoder = WireFuzzer.FuzzFrameDecoder(seed, frames);
        var decoderSeconds = clock.Elapsed.TotalSeconds;
        await Console.Error.WriteLineAsync($"frame decoder: {decoder.Cases} cases in {decoderSeconds:0.0} s, {decoder.Failures.Count} failures").ConfigureAwait(false);
        clock.Restart();
        var handshake = await WireFuzzer.FuzzHandshakeAsync(seed, handshakes, cancellationToken: cancellationToken).ConfigureAwait(false);
        var handshakeSeconds = clock.Elapsed.TotalSeconds;
        await Console.Error.WriteLineAsync($"handshake: {handshake.Cases} cases in {handshakeSeconds:0.0} s, {handshake.Failures.Count} failures").ConfigureAwait(false);
        foreach (var failure in decoder.Failures.Concat(handshake.Failures).Take(50))
            await Console.Error.WriteLineAsync(failure).ConfigureAwait(false);

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["benchmark"] = Name,
            ["seed"] = seed,
            ["frame_cases"] = decoder.Cases,
            ["frame_cases_per_s"] = Math.Round(decoder.Cases / Math.Max(decoderSeconds, 1e-9)),
            ["frames_accepted"] = decoder.Accepted,
            ["frames_rejected"] = decoder.Rejected,
            ["frames_incomplete"] = decoder.Incomplete,
            ["handshake_cases"] = handshake.Cases,
            ["handshake_cases_per_s"] = Math.Round(handshake.Cases / Math.Max(handshakeSeconds, 1e-9)),
            ["failures"] = decoder.Failures.Count + handshake.Failures.Count,
        }));
        return decoder.Clean && handshake.Clean ? 0 : 1;
    }
}
