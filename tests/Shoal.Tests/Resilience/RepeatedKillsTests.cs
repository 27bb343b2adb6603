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
        const int n = 5_000; // per round: a map of n and its reduction, 2n - 1 tasks; rounds run until 3 kills hit them
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true,
            Nanny = true,
            Workers = 2,
            ThreadsPerWorker = 1,
        });
        await using var client = await Client.ConnectAsync(cluster);
        await client.WaitForWorkersAsync(2);
        (await client.Submit(Inc, 0L).ResultAsync()).ShouldBe(1); // code loaded before the kills start

        var clock = Stopwatch.StartNew();
        var kills = new List<(double At, string Worker, int Pid)>();
        using var stop = new CancellationTokenSource();
        var killer = KillEveryTwoSecondsAsync(cluster, kills, clock, stop.Token);
        int rounds = 0;
        while (rounds == 0 || Volatile.Read(ref _killCount) < 3)
        {
            // No clock ceiling: a round that cannot finish fails by its own wait below, and the kills come from the
            // killer's timer as long as it runs (if it stopped, no third kill would ever end this loop).
            killer.IsCompleted.ShouldBeFalse("the killer stopped before its third kill");
            long offset = (long)rounds * n; // distinct keys every round
            var layer = client.Map(Inc, Enumerable.Range(0, n).Select(i => offset + i)).ToList();
            var all = new List<Future<long>>(layer);
            while (layer.Count > 1)
            {
                var next = new List<Future<long>>((layer.Count + 1) / 2);
                for (var i = 0; i + 1 < layer.Count; i += 2) next.Add(client.Submit(Add, layer[i], layer[i + 1]));
                if (layer.Count % 2 == 1) next.Add(layer[^1]);
                all.AddRange(next);
                layer = next;
            }

            var total = await layer[0].ResultAsync().WaitAsync(TimeSpan.FromMinutes(2));
            total.ShouldBe(Enumerable.Range(0, n).Sum(i => offset + i + 1), $"round {rounds}");
            foreach (var f in all) f.Dispose();
            rounds++;
        }

        await stop.CancelAsync();
        await killer;
        var seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"{rounds} rounds of {2 * n - 1} tasks in {seconds:0.0} s ({rounds * (2 * n - 1) / seconds:0} tasks/s) with {kills.Count} kills: "
            + string.Join(", ", kills.Select(k => $"{k.Worker} pid {k.Pid} at {k.At:0.0} s")));
        output.WriteLine($"departures: {string.Join("; ", cluster.Scheduler.Departures.Select(d => $"{d.Worker}: {d.Cause} ({d.Lost} lost)"))}");
        kills.Count.ShouldBeGreaterThanOrEqualTo(3);
    }

    private int _killCount;

    /// <summary>
    /// Every 2 s, SIGKILLs a worker process registered now (a replacement still starting is left alone), alternating
    /// between the two names. The pattern is the scenario, not a synchronisation.
    /// </summary>
    private async Task KillEveryTwoSecondsAsync(LocalCluster cluster, List<(double At, string Worker, int Pid)> kills, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var registered = cluster.Scheduler.WorkerProcesses.OrderBy(w => w.Worker, StringComparer.Ordinal).ToArray();
                if (registered.Length == 0) continue;
                var victim = registered[kills.Count % registered.Length];
                try
                {
                    Process.GetProcessById(victim.Pid).Kill(); // SIGKILL
                    lock (kills) kills.Add((clock.Elapsed.TotalSeconds, victim.Worker, victim.Pid));
                    Interlocked.Increment(ref _killCount);
                }
                catch (ArgumentException)
                {
                    // It died meanwhile (the previous kill's replacement had not registered yet).
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The rounds are done.
        }
    }
}
