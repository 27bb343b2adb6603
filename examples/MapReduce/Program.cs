// Map and reduce on a Shoal cluster: doubles 10,000 numbers in 10,000 tasks, then sums them in one.
//   dotnet run --project examples/MapReduce                       (an in-process local cluster)
//   dotnet run --project examples/MapReduce -- --scheduler tcp://127.0.0.1:8786
//   dotnet run --project examples/MapReduce -- --progress          (bars per task group on a terminal, lines in a log)
using Shoal;

var address = Args.Value(args, "--scheduler");
var n = int.Parse(Args.Value(args, "--n") ?? "10000", System.Globalization.CultureInfo.InvariantCulture);

await using var cluster = address is null ? await LocalCluster.StartAsync() : null;
await using var client = cluster is not null ? await Client.ConnectAsync(cluster) : await Client.ConnectAsync(address!);

var ys = client.Map(static (int x) => x * 2, Enumerable.Range(0, n));
var total = client.Submit(static (int[] v) => v.Sum(), ys);   // futures as arguments are dependencies
if (args.Contains("--progress")) await client.ProgressAsync([.. ys, total]);
Console.WriteLine(await total);

internal static class Args
{
    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
