namespace Shoal.Flows.Tests;

/// <summary>The seeds' flow on every executor, with its result and its records.</summary>
[Collection(ProcessesCollection.Name)]
public class SeedsFlowTests
{
    [Fact]
    public Task In_process() => RunSeedsAsync(FlowExecutors.InProcess());

    [Fact]
    public Task On_a_local_cluster_of_worker_processes() =>
        RunSeedsAsync(FlowExecutors.LocalCluster(new LocalClusterOptions { Processes = true, Workers = 1, ThreadsPerWorker = 2 }));

    private static async Task RunSeedsAsync(IFlowExecutor executor)
    {
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(executor);
        var result = await runner.RunAsync(Seeds.Flow, new Seeds.Parameters());
        result.State.ShouldBe(RunState.Completed, result.Error);
        result.Result.ShouldBe(12);
        await Records.ShouldHoldSeedsRunAsync(temp.Store, result.Id);
    }

    [Fact]
    public async Task On_an_existing_cluster_and_at_its_scheduler_address_which_outlive_the_run()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 1 });
        await using var temp = await TempStore.CreateAsync();
        foreach (var executor in new[] { FlowExecutors.Cluster(cluster), FlowExecutors.Address(cluster.SchedulerAddress) })
        {
            await using var runner = temp.Runner(executor);
            var result = await runner.RunAsync(Seeds.Flow, new Seeds.Parameters());
            result.State.ShouldBe(RunState.Completed, result.Error);
            result.Result.ShouldBe(12);
            await Records.ShouldHoldSeedsRunAsync(temp.Store, result.Id);
        }

        cluster.WorkerCount.ShouldBe(2);
        await using var client = await Client.ConnectAsync(cluster);
        (await client.Submit(static () => 7)).ShouldBe(7);
    }

    [Fact]
    public async Task On_a_new_cluster_per_run_sized_from_its_parameters_and_torn_down_after()
    {
        await using var temp = await TempStore.CreateAsync();
        var clusters = new List<TrackingCluster>();
        var executor = FlowExecutors.PerRun<Seeds.Parameters>(
            async p =>
            {
                var cluster = new TrackingCluster(await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1 }));
                clusters.Add(cluster);
                return cluster;
            },
            new ClusterSizing(1, 3) { FromParameters = p => ((Seeds.Parameters)p).X.Length * 2 });
        await using var runner = temp.Runner(executor);

        var result = await runner.RunAsync(Seeds.Flow, new Seeds.Parameters());
        result.Result.ShouldBe(12);
        await Records.ShouldHoldSeedsRunAsync(temp.Store, result.Id);
        var first = clusters.ShouldHaveSingleItem();
        first.Scaled.ShouldBe([3]); // 3 items x 2 = 6, clamped to the maximum of 3
        first.WorkersDuringRun.ShouldBe(3);
        first.Disposed.ShouldBeTrue();

        // A run that fails still tears its cluster down.
        var failing = Shoal.Flows.Flow.Create("fails", static async (Seeds.Parameters p) =>
        {
            await Task.Yield();
            throw new InvalidOperationException("the body failed");
#pragma warning disable CS0162
            return 0;
#pragma warning restore CS0162
        });
        var failed = await runner.RunAsync(failing, new Seeds.Parameters { X = [1] });
        failed.State.ShouldBe(RunState.Failed);
        failed.Error.ShouldBe("the body failed");
        clusters[1].Scaled.ShouldBe([2]);
        clusters[1].Disposed.ShouldBeTrue();
    }

    /// <summary>An ICluster that records what the executor did with it.</summary>
    private sealed class TrackingCluster(LocalCluster inner) : ICluster
    {
        public List<int> Scaled { get; } = [];

        public int WorkersDuringRun { get; private set; }

        public bool Disposed { get; private set; }

        public string SchedulerAddress => inner.SchedulerAddress;

        public string? DashboardLink => inner.DashboardLink;

        public async Task ScaleAsync(int workers, CancellationToken cancellationToken = default)
        {
            Scaled.Add(workers);
            await inner.ScaleAsync(workers, cancellationToken);
            WorkersDuringRun = inner.WorkerCount;
        }

        public async ValueTask DisposeAsync()
        {
            Disposed = true;
            await inner.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessesCollection
{
    public const string Name = "flows with real processes";
}
