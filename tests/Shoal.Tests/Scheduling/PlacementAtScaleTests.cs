using Shoal.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// Placement keeps its workers in heaps instead of scanning them all; these tests check, with hundreds of workers
/// of mixed thread counts and random loads, that every choice is the one the rules name, recomputed here by a plain
/// scan of the public state: a task with inputs goes to the worker minimising (bytes it lacks ÷ bandwidth) +
/// (occupancy ÷ threads), ties to fewer tasks per thread, then the lowest id; a root task from the queue to the worker
/// with the fewest tasks per thread among those with a free slot; restrictions and resources are honoured.
/// </summary>
public class PlacementAtScaleTests
{
    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 600)]
    [InlineData(3, 64)]
    public void Tasks_with_inputs_go_where_the_rule_says_whatever_the_number_of_workers(int seed, int workers)
    {
        var rng = new Random(seed);
        var h = new SchedulerHarness(new SchedulerConfig { WorkStealing = false, WorkerSaturation = double.PositiveInfinity, Bandwidth = 1e6 });
        for (int w = 0; w < workers; w++) h.AddWorker(w, Spec("w" + w, nthreads: rng.Next(1, 5)));

        // Inputs of random sizes, each finished on a random worker (some copied to a second one).
        var inputs = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            var key = $"in-{i}";
            h.Submit(Task(key));
            int on = h.State.ProcessingWorkerOf(h.State.TaskIdOf(key));
            h.Finish(on, key, nbytes: rng.Next(0, 3) == 0 ? 0 : rng.Next(1, 5_000_000));
            if (rng.Next(4) == 0) h.AddKeys(rng.Next(workers), (key, h.State.NbytesOf(h.State.TaskIdOf(key))));
            inputs.Add(key);
        }

        for (int i = 0; i < 200; i++)
        {
            var deps = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => inputs[rng.Next(inputs.Count)]).Distinct().ToArray();
            var key = $"t-{i}";
            int expected = ByScan(h.State, deps.Select(h.State.TaskIdOf).ToArray());
            h.Submit(Task(key, deps)).ShouldBe([$"Compute w{expected} {key}"], $"task {i} with inputs [{string.Join(", ", deps)}]");
            if (rng.Next(3) == 0) h.Finish(expected, key); // loads go down as well as up
        }
    }

    [Theory]
    [InlineData(4, 300)]
    [InlineData(5, 50)]
    public void Queued_root_tasks_go_to_the_least_loaded_worker_with_a_free_slot(int seed, int workers)
    {
        var rng = new Random(seed);
        var h = new SchedulerHarness(new SchedulerConfig { WorkStealing = false, RoundTrip = 0 });
        for (int w = 0; w < workers; w++) h.AddWorker(w, Spec("w" + w, nthreads: rng.Next(1, 4)));
        var processing = new List<(int Worker, string Key)>();
        for (int i = 0; i < 800; i++)
        {
            if (processing.Count > 0 && rng.Next(2) == 0)
            {
                var (w, k) = processing[rng.Next(processing.Count)];
                processing.Remove((w, k));
                foreach (var c in h.Finish(w, k).Where(c => c.StartsWith("Compute", StringComparison.Ordinal)))
                    processing.Add((int.Parse(c.Split(' ')[1][1..], System.Globalization.CultureInfo.InvariantCulture), c.Split(' ')[2]));
                continue;
            }
            int expected = ExpectedQueueTarget(h.State);
            var submitted = h.Submit(Task($"r-{i}"));
            if (expected < 0) submitted.ShouldBeEmpty(); // queued: every worker is full
            else
            {
                submitted.ShouldBe([$"Compute w{expected} r-{i}"]);
                processing.Add((expected, $"r-{i}"));
            }
        }
    }

    [Fact]
    public void Restrictions_and_resources_still_decide_among_thousands_of_workers()
    {
        var h = new SchedulerHarness(new SchedulerConfig { WorkStealing = false, WorkerSaturation = double.PositiveInfinity });
        for (int w = 0; w < 2000; w++)
            h.AddWorker(w, Spec("w" + w, resources: w % 500 == 7 ? new Dictionary<string, double> { ["GPU"] = 1 } : null));
        h.Submit(new TaskSpecification { Key = "named-1", RunSpec = TestPayloads.Run("x"), Wanted = true, Workers = ["w1234"] }).ShouldBe(["Compute w1234 named-1"]);
        h.Submit(new TaskSpecification { Key = "gpu-1", RunSpec = TestPayloads.Run("x"), Wanted = true, Resources = new Dictionary<string, double> { ["GPU"] = 1 } })
            .ShouldBe(["Compute w7 gpu-1"]);
        h.Submit(new TaskSpecification { Key = "gpu-2", RunSpec = TestPayloads.Run("x"), Wanted = true, Resources = new Dictionary<string, double> { ["GPU"] = 1 } })
            .ShouldBe(["Compute w507 gpu-2"]); // w7's GPU is taken
        h.State.StopPlacingOn(0); // closing: skipped by the heaps
        h.Submit(Task("any-1")).ShouldBe(["Compute w1 any-1"]);
        h.State.ResumePlacingOn(0, 0);
        h.Collect();
        h.Submit(Task("any-2")).ShouldBe(["Compute w0 any-2"]);
    }

    /// <summary>The rule for a task with inputs, by a scan of every worker (what the code did before the heaps).</summary>
    private static int ByScan(SchedulerState s, int[] deps)
    {
        double total = deps.Sum(d => (double)Math.Max(s.NbytesOf(d), 0));
        int best = -1;
        double bestCost = double.PositiveInfinity;
        foreach (int w in s.Workers.OrderBy(w => w))
        {
            double held = deps.Where(d => s.WhoHas(d).IndexOf(w) >= 0).Sum(d => (double)Math.Max(s.NbytesOf(d), 0));
            double cost = (total - held) / s.Config.Bandwidth + s.OccupancyOf(w) / Threads(s, w);
            if (best < 0 || cost < bestCost - 1e-12
                || (Math.Abs(cost - bestCost) <= 1e-12 && (long)s.ProcessingCount(w) * Threads(s, best) < (long)s.ProcessingCount(best) * Threads(s, w)))
            {
                best = w;
                bestCost = cost;
            }
        }
        return best;
    }

    /// <summary>The root queue's rule by a scan: fewest tasks per thread among workers with a free slot, then lowest id; -1 when all are full.</summary>
    private static int ExpectedQueueTarget(SchedulerState s)
    {
        int best = -1;
        foreach (int w in s.Workers.OrderBy(w => w))
        {
            if (s.ProcessingCount(w) >= s.SlotsOf(w)) continue;
            if (best < 0 || (long)s.ProcessingCount(w) * Threads(s, best) < (long)s.ProcessingCount(best) * Threads(s, w)) best = w;
        }
        return best;
    }

    private static int Threads(SchedulerState s, int worker) => s.ThreadsOf(worker);
}
