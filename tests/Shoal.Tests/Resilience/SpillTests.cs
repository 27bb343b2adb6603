using System.Diagnostics;
using Xunit.Abstractions;

namespace Shoal.Tests.Resilience;

[Collection(Shoal.Tests.EndToEnd.RealProcessesCollection.Name)]
public class SpillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Results_totalling_three_times_the_memory_limit_complete_by_spilling()
    {
        const long limit = 256_000_000;
        const int size = 10_000_000;
        const int count = 154; // 1.54 GB: 3x the two workers' 512 MB
        var spillRoot = Directory.CreateTempSubdirectory("shoal-spill-test-").FullName;
        try
        {
            long[] peaks;
            await using (var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
            {
                Processes = true,
                Workers = 2,
                ThreadsPerWorker = 1,
                MemoryLimitPerWorker = limit,
                SpillDirectory = spillRoot,
            }))
            {
                await using var client = await Client.ConnectAsync(cluster);
                var pids = cluster.WorkerProcessIds.ToArray();
                var blocks = client.Map(static (int i) =>
                {
                    var block = new byte[size];
                    block.AsSpan().Fill((byte)i);
                    return block;
                }, Enumerable.Range(0, count));
                var sums = client.Map(static (byte[] b) => (long)b[0] + b[^1] + b.Length, blocks);
                var total = client.Submit(static (long[] v) => v.Sum(), sums);

                var expected = Enumerable.Range(0, count).Sum(i => 2L * (byte)i + size);
                (await total.ResultAsync().WaitAsync(TimeSpan.FromSeconds(120))).ShouldBe(expected);

                // Every block is still held (its future is alive): most of them must be on disk.
                await Eventually.HoldsAsync(() => cluster.Scheduler.Heartbeats.Sum(h => (long)(h.Beat?.SpilledBytes ?? 0)) > limit,
                    TimeSpan.FromSeconds(10), "heartbeats report spilled bytes");
                var beats = cluster.Scheduler.Heartbeats;
                foreach (var (worker, beat) in beats) output.WriteLine($"{worker}: managed {beat!.ManagedBytes / 1e6:0} MB, spilled {beat.SpilledBytes / 1e6:0} MB, process {beat.ProcessMemory / 1e6:0} MB");
                beats.ShouldAllBe(h => (long)h.Beat!.ManagedBytes <= limit * 6 / 10);
                Directory.EnumerateFiles(spillRoot, "*", SearchOption.AllDirectories).ShouldNotBeEmpty();
                peaks = pids.Select(PeakResidentBytes).ToArray();
                GC.KeepAlive(blocks);
            }

            foreach (var peak in peaks) output.WriteLine($"worker peak RSS {peak / 1e6:0} MB for a {limit / 1e6:0} MB limit");
            // Stated margin: a worker's peak RSS stays within 10 % over its limit (the pause threshold, 80 %, is checked
            // as each big result is stored; peaks measured 216-228 MB for 256 MB, under load).
            peaks.ShouldAllBe(p => p < limit * 11 / 10);
            Directory.EnumerateFiles(spillRoot, "*", SearchOption.AllDirectories).ShouldBeEmpty("spill files go when the workers stop");
        }
        finally
        {
            Directory.Delete(spillRoot, recursive: true);
        }
    }

    /// <summary>VmHWM: the peak resident set of a live process.</summary>
    private static long PeakResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }

        throw new InvalidOperationException("no VmHWM");
    }
}
