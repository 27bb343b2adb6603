using System.Diagnostics;
using Xunit.Abstractions;

namespace Shoal.Tests.Resilience;

/// <summary>
/// Workers under nannies keep a result journal in tmpfs (<see cref="Shoal.Execution.ResultJournal"/>):
/// a worker killed with SIGKILL loses no small result, its replacement registers holding them.
/// </summary>
[Collection(Shoal.Tests.EndToEnd.RealProcessesCollection.Name)]
public class ResultJournalProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_worker_killed_under_its_nanny_loses_no_small_result_and_nothing_is_recomputed()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Nanny = true, Workers = 2, ThreadsPerWorker = 1 });
        // The client holds nothing for recovery: only the journal can bring the results back.
        await using var client = await Client.ConnectAsync(cluster, new ClientOptions { HoldResultsForRecovery = false });
        var log = Directory.CreateTempSubdirectory("shoal-journal-e2e-").FullName;
        try
        {
            await Eventually.HoldsAsync(() => cluster.Scheduler.WorkerProcesses.Count == 2, TimeSpan.FromSeconds(60), "both workers register");
            var victim = cluster.Scheduler.WorkerProcesses.OrderBy(w => w.Worker, StringComparer.Ordinal).First();
            // Restricted to the victim: nobody else holds these results, and nobody else can compute them again
            // while its replacement starts, so any execution beyond 40 is a result the journal did not keep.
            var futures = client.Map(static (int x, string dir) =>
            {
                File.WriteAllBytes(Path.Combine(dir, $"{x}-{Guid.NewGuid():N}"), []); // one file per execution
                return new[] { x, x * x, -x }; // an array: the journal holds serialized bytes, not a boxed int
            }, Enumerable.Range(0, 40), Enumerable.Repeat(log, 40), new SubmitOptions { Workers = [victim.Worker] });
            await Eventually.HoldsAsync(() => futures.All(f => f.IsDone), TimeSpan.FromSeconds(60), "all 40 results are computed");
            Directory.GetFiles(log).Length.ShouldBe(40);

            var killed = Stopwatch.StartNew();
            Process.GetProcessById(victim.Pid).Kill(); // SIGKILL
            await Eventually.HoldsAsync(() => cluster.Scheduler.Departures.Count == 1, TimeSpan.FromSeconds(30), "the scheduler removes the killed worker");
            await Eventually.HoldsAsync(() => cluster.Scheduler.WorkerProcesses.Any(w => w.Worker == victim.Worker && w.Pid != victim.Pid),
                TimeSpan.FromSeconds(60), "its nanny's replacement registers");
            output.WriteLine($"replacement registered {killed.Elapsed.TotalMilliseconds:0} ms after the kill");

            var values = await client.GatherAsync(futures).WaitAsync(TimeSpan.FromSeconds(60));
            values.ShouldBe(Enumerable.Range(0, 40).Select(x => new[] { x, x * x, -x }));
            var departure = cluster.Scheduler.Departures.ShouldHaveSingleItem();
            output.WriteLine($"{departure.Lost} results lost from memory with the worker; {cluster.Scheduler.ResultsRecoveredOnRegistration} taken back from its journal");
            departure.Lost.ShouldBe(40, "every result was on the killed worker only");
            cluster.Scheduler.ResultsRecoveredOnRegistration.ShouldBe(40);
            Directory.GetFiles(log).Length.ShouldBe(40, "no result was computed again");
            cluster.Scheduler.TasksDone.ShouldBe(40);
        }
        finally
        {
            Directory.Delete(log, recursive: true);
        }
    }
}
