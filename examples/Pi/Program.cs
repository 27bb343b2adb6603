// Monte Carlo π on a Shoal cluster with chunked arrays, in the seed's three lines:
//   xxyy = da.random.uniform(-1, 1, size=(2, S)); norm = da.linalg.norm(xxyy, axis=0); pi = 4 * da.sum(norm <= 1) / S
// Each chunk is generated, squared, summed over its column, compared and counted by one fused task,
// never stored; the counts are added in a tree.
//   dotnet run -c Release --project examples/Pi -- [--samples 1e9] [--chunk 2e7] [--seed 1] [--scheduler tcp://127.0.0.1:8786]
using System.Diagnostics;
using System.Globalization;
using Shoal;
using Shoal.Arrays;

var address = Args.Value(args, "--scheduler");
var samples = (long)double.Parse(Args.Value(args, "--samples") ?? "1e9", CultureInfo.InvariantCulture);
var chunk = (long)double.Parse(Args.Value(args, "--chunk") ?? "0", CultureInfo.InvariantCulture);
ulong? seed = Args.Value(args, "--seed") is { } s ? ulong.Parse(s, CultureInfo.InvariantCulture) : null;

await using var cluster = address is null ? await LocalCluster.StartAsync() : null;
await using var client = cluster is not null ? await Client.ConnectAsync(cluster) : await Client.ConnectAsync(address!);
var clock = Stopwatch.StartNew();

var xxyy = NDArray.Random.Uniform(-1, 1, [2, samples], chunks: chunk > 0 ? [2, chunk] : null, seed: seed);
var norm = Linalg.Norm(xxyy, axis: 0);
var pi = 4.0 * await (norm <= 1.0).Sum().ScalarAsync(client) / samples;

Console.Error.WriteLine($"{samples:N0} samples in {xxyy.NumBlocks[1]} chunks, {clock.Elapsed.TotalSeconds:0.000} s, {samples / clock.Elapsed.TotalSeconds / 1e6:0} million samples/s");
Console.WriteLine(pi.ToString("0.000000", CultureInfo.InvariantCulture));

internal static class Args
{
    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
