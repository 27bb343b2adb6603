// Monte Carlo π on a Shoal cluster: each task counts how many of its random points fall inside
// the unit circle; the client adds up the counts.
//   dotnet run -c Release --project examples/Pi -- [--samples 1e8] [--chunk 5e7] [--scheduler tcp://127.0.0.1:8786]
using System.Diagnostics;
using System.Globalization;
using Shoal;
using Shoal.Examples.Pi;

var address = Args.Value(args, "--scheduler");
var samples = (long)double.Parse(Args.Value(args, "--samples") ?? "1e8", CultureInfo.InvariantCulture);
var chunk = (long)double.Parse(Args.Value(args, "--chunk") ?? "0", CultureInfo.InvariantCulture);

await using var cluster = address is null ? await LocalCluster.StartAsync() : null;
await using var client = cluster is not null ? await Client.ConnectAsync(cluster) : await Client.ConnectAsync(address!);
if (chunk <= 0)
{
    var info = await client.GetClusterInfoAsync();
    var threads = Math.Max(1, info.Workers.Sum(w => w.NThreads));
    chunk = Math.Max(1_000_000, samples / (threads * 4));
}

var clock = Stopwatch.StartNew();
var counts = new List<Future<long>>();
for (long start = 0, seed = 1; start < samples; start += chunk, seed++)
{
    var n = Math.Min(chunk, samples - start);
    counts.Add(client.Submit(static (long count, long s) => MonteCarlo.CountInside(count, (ulong)s), n, seed));
}

var inside = (await client.GatherAsync(counts)).Sum();
var pi = 4.0 * inside / samples;
Console.Error.WriteLine($"{samples:N0} samples in {counts.Count} tasks, {clock.Elapsed.TotalSeconds:0.000} s, {samples / clock.Elapsed.TotalSeconds / 1e6:0} million samples/s");
Console.WriteLine(pi.ToString("0.000000", CultureInfo.InvariantCulture));

internal static class Args
{
    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
