// Reductions over a 2-D array on a Shoal cluster: a tall matrix of random measurements, made on
// the workers chunk by chunk, reduced to its column means and standard deviations, and its Gram
// matrix XᵀX (a matrix product whose row blocks are summed in a tree), from which the column
// correlations follow.
//   dotnet run -c Release --project examples/ColumnStats -- [--rows 1e6] [--columns 8] [--chunk 1e5] [--scheduler tcp://...]
using System.Diagnostics;
using System.Globalization;
using Shoal;
using Shoal.Arrays;

var address = Args.Value(args, "--scheduler");
var rows = (long)double.Parse(Args.Value(args, "--rows") ?? "1e6", CultureInfo.InvariantCulture);
var columns = (long)double.Parse(Args.Value(args, "--columns") ?? "8", CultureInfo.InvariantCulture);
var chunk = (long)double.Parse(Args.Value(args, "--chunk") ?? "1e5", CultureInfo.InvariantCulture);

await using var cluster = address is null ? await LocalCluster.StartAsync() : null;
await using var client = cluster is not null ? await Client.ConnectAsync(cluster) : await Client.ConnectAsync(address!);
var clock = Stopwatch.StartNew();

// Column j has mean j and standard deviation 1 + j/10; every column also carries a shared factor,
// so the columns are correlated.
var noise = NDArray.Random.Normal(0, 1, [rows, columns], chunks: [chunk, -1], seed: 1);
var factor = NDArray.Random.Normal(0, 1, [rows, 1], chunks: [chunk, -1], seed: 2);
var offsets = NDArray.Arange<double>(0, columns).Reshape(1, columns);
var x = (noise * (offsets * 0.1 + 1.0) + factor + offsets).Persist(client);

var means = await x.Mean([0]).ToArrayAsync(client);
var stds = await x.Std([0]).ToArrayAsync(client);
var centered = x - x.Mean([0], keepDims: true);
var gram = await Linalg.MatMul(centered.Transpose(), centered).To2DAsync(client);
x.Release();

Console.WriteLine($"{rows:N0} x {columns} float64 ({rows * columns * 8 / 1e6:N0} MB) in chunks of {chunk:N0} rows, {clock.Elapsed.TotalSeconds:0.00} s");
Console.WriteLine("column  mean      std       corr(column, 0)");
for (var j = 0; j < columns; j++)
{
    var corr = gram[j, 0] / Math.Sqrt(gram[j, j] * gram[0, 0]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{j,6}  {means[j],8:0.0000}  {stds[j],8:0.0000}  {corr,8:0.0000}"));
}

internal static class Args
{
    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
