using System.Diagnostics;
using Xunit.Abstractions;

namespace Shoal.Tests.Resilience;

/// <summary>
/// Issue 10's failure with real processes: worker processes under nannies, one SIGKILLed every 2 s while a map of
/// many no-op tasks and its pairwise tree reduction run. Each kill drops the tasks queued on that worker; only the
/// task it was executing may count against the allowed failures (3), so the computation ends with the right sum
/// instead of a WorkerKilledException naming one restarted worker four times.
/// </summary>
[Collection(Shoal.Tests.EndToEnd.RealProcessesCollection.Name)]
public class RepeatedKillsTests(ITestOutputHelper output)
{
    private static long Inc(long x) => x + 1;

    private static long Add(long a, long b) => a + b;

    [Fact]
    public async Task A_map_and_its_tree_reduction_complete_with_the_right_sum_while_a_worker_is_killed_every_2_s()
    {
        const int n = 20_000;
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true,
            Nanny = true,
            Workers = 2,
            ThreadsPerWorker = 1,
        });
        await using var client = await Client.ConnectAsync(cluster);
        await client.WaitForWorkersAsync(2);
        (await client.Submit(Inc, 0L).ResultAsync()).ShouldBe(1); // code loaded before the clock starts

        var clock = Stopwatch.StartNew();
        var layer = client.Map(Inc, Enumerable.Range(0, n).Select(i => (long)i)).ToList();
        var all = new List<Future<long>>(layer);
        while (layer.Count > 1)
        {
            var next = new List<Future<long>>((layer.Count + 1) / 2);
            for (var i = 0; i + 1 < layer.Count; i += 2) next.Add(client.Submit(Add, layer[i], layer[i + 1]));
            if (layer.Count % 2 == 1) next.Add(layer[^1]);
            all.AddRange(next);
            layer = next;
        }

        var sum = layer[0].ResultAsync();
        var kills = new List<(double At, string Worker, int Pid)>();
        using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(2)))
        {
            // The killing pattern is the scenario, not a synchronisation: a tick kills a worker process that is
            // registered now (a replacement still starting is left alone), alternating between the two names.
            while (!sum.IsCompleted && await timer.WaitForNextTickAsync())
            {
                if (sum.IsCompleted || clock.Elapsed > TimeSpan.FromSeconds(120)) break;
                var registered = cluster.Scheduler.WorkerProcesses.OrderBy(w => w.Worker, StringComparer.Ordinal).ToArray();
                if (registered.Length == 0) continue;
                var victim = registered[kills.Count % registered.Length];
                try
                {
                    Process.GetProcessById(victim.Pid).Kill(); // SIGKILL
                    kills.Add((clock.Elapsed.TotalSeconds, victim.Worker, victim.Pid));
                }
                catch (ArgumentException)
                {
                    // It died meanwhile (the previous kill's replacement had not registered yet).
                }
            }
        }

        var total = await sum.WaitAsync(TimeSpan.FromSeconds(120));
        var seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"{2 * n - 1} tasks in {seconds:0.0} s ({(2 * n - 1) / seconds:0} tasks/s) with {kills.Count} kills: "
            + string.Join(", ", kills.Select(k => $"{k.Worker} pid {k.Pid} at {k.At:0.0} s")));
        output.WriteLine($"departures: {string.Join("; ", cluster.Scheduler.Departures.Select(d => $"{d.Worker}: {d.Cause} ({d.Lost} lost)"))}");
        total.ShouldBe((long)n * (n + 1) / 2);
        kills.Count.ShouldBeGreaterThanOrEqualTo(2, "the run must outlast two kills for the test to mean anything");
        foreach (var f in all) f.Dispose();
    }
}
