using Xunit.Abstractions;
using System.Diagnostics;

namespace Shoal.Tests.EndToEnd;

/// <summary><see cref="Client.StoryAsync(string, CancellationToken)"/>: the scheduler's and the workers' transitions of a key, as a user reads them.</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class KeyStoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_erred_task_tells_where_it_failed_and_with_what_error_on_the_scheduler_and_the_worker()
    {
        await using var cluster = await InProcessCluster.StartAsync(workers: 1, threads: 1);
        var client = cluster.Client;
        var failing = client.Submit(static (int x) => x > 0 ? throw new InvalidOperationException("no positive numbers") : x, 3);
        await Should.ThrowAsync<TaskException>(() => failing.ResultAsync().WaitAsync(E2E.Timeout));

        var story = await client.StoryAsync(failing).WaitAsync(E2E.Timeout);
        foreach (var step in story) output.WriteLine(step.ToString());
        var worker = cluster.Cluster.WorkerNames.ShouldHaveSingleItem();

        var erred = story.Single(t => t.Source == "scheduler" && t.To == "Erred");
        erred.Worker.ShouldBe(worker);
        erred.StimulusId.ShouldStartWith("task-erred-");
        erred.Detail!.ShouldContain("InvalidOperationException");
        erred.Detail!.ShouldContain("no positive numbers");
        var failed = story.Single(t => t.Source == worker && t.To == "Error");
        failed.From.ShouldBe("Executing");
        failed.Detail!.ShouldContain("no positive numbers");
        story.First(t => t.Source == "scheduler").From.ShouldBe("Released"); // from the submission on
        story.Select(t => t.When).ShouldBeInOrder();
        (await client.StoryAsync("never-submitted").WaitAsync(E2E.Timeout)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_task_whose_worker_died_tells_which_worker_died_and_where_it_ran_next()
    {
        var marker = Path.Combine(Path.GetTempPath(), "shoal-story-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
            {
                Processes = true, Workers = 2, ThreadsPerWorker = 1, MemoryLimitPerWorker = 512L << 20, WorkerCommand = IsolatedCli.Path,
            }).WaitAsync(E2E.Timeout);
            await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
            // The first run kills its own worker process; the run after that (elsewhere) succeeds.
            var task = client.Submit(static (string path) =>
            {
                if (!File.Exists(path))
                {
                    File.WriteAllText(path, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Process.GetCurrentProcess().Kill();
                }

                return 42;
            }, marker);
            (await task.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(42);

            var story = await client.StoryAsync(task).WaitAsync(E2E.Timeout);
            foreach (var step in story) output.WriteLine(step.ToString());
            var scheduler = story.Where(t => t.Source == "scheduler").ToList();
            var first = scheduler.First(t => t.To == "Processing");
            var left = scheduler.Single(t => t.From == "Processing" && t.To == "Waiting");
            left.StimulusId.ShouldStartWith("remove-worker-");
            left.Worker.ShouldBe(first.Worker);
            left.Detail.ShouldNotBeNullOrEmpty(); // why the worker was removed
            var second = scheduler.Last(t => t.To == "Processing");
            scheduler.IndexOf(second).ShouldBeGreaterThan(scheduler.IndexOf(left)); // placed again (a live worker, or the nanny's replacement)
            var done = scheduler.Last();
            done.To.ShouldBe("Memory");
            done.Worker.ShouldBe(second.Worker);
            done.StimulusId.ShouldStartWith("task-finished-");
            // The worker that ran it to the end tells its own part (the dead one tells nothing).
            story.ShouldContain(t => t.Source == second.Worker && t.From == "Executing" && t.To == "Memory");
        }
        finally
        {
            File.Delete(marker);
        }
    }
}
