using Shoal.Scheduling;

namespace Shoal.Tests.Scheduling;

public class HotPathTests
{
    [Fact]
    public void Computing_and_finishing_tasks_allocates_nothing_once_warm()
    {
        var state = new SchedulerState(new SchedulerConfig());
        state.AddClient(1);
        var none = new Dictionary<string, double>();
        state.AddWorker(0, new WorkerSpec("w0", "a0", 1, 0, none, []), 0);
        state.AddWorker(1, new WorkerSpec("w1", "a1", 1, 0, none, []), 0);
        const int n = 20_000;
        var work = new (int Worker, string Key, long RunId)[4096];
        var release = new string[1];

        // Round 1 grows every buffer to its working size; round 2 (fresh keys) is measured.
        long allocated = 0;
        for (int round = 0; round < 2; round++)
        {
            var specs = Enumerable.Range(0, n).Select(i => new TaskSpecification { Key = $"inc{round}-{i}", Wanted = true }).ToArray();
            var chain = Enumerable.Range(0, 200).Select(i => new TaskSpecification
            {
                Key = $"link{round}-{i}", Dependencies = i == 0 ? [] : [$"link{round}-{i - 1}"], Wanted = i == 199,
            }).ToArray();
            state.UpdateGraph(1, specs, 0);
            state.UpdateGraph(1, chain, 0);
            long start = GC.GetAllocatedBytesForCurrentThread();
            int done = 0;
            while (state.Commands.Length > 0)
            {
                int count = 0;
                foreach (var c in state.Commands)
                    if (c.Kind == SchedulerCommandKind.Compute) work[count++] = (c.Target, state.KeyOf(c.Task), state.RunIdOf(c.Task));
                state.ClearCommands();
                for (int i = 0; i < count; i++)
                {
                    state.TaskFinished(work[i].Worker, work[i].Key, work[i].RunId, 8, 0, 1e-5, 0);
                    release[0] = work[i].Key;
                    state.ReleaseKeys(1, release, 0); // as a client that gathered it
                    done++;
                }
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - start;
            done.ShouldBe(n + 200);
            state.ClearCommands();
            state.TaskCount.ShouldBe(0);
        }
        allocated.ShouldBe(0);
    }
}
