using Shoal.Deploy;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Deploy;

/// <summary>
/// SpecCluster's in-process workers share the process's memory account and thread-pool reservation, as an in-process
/// LocalCluster's do: the account's limit is the sum of the running workers' limits, through scaling.
/// </summary>
public sealed class InProcessLauncherSharingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_shared_memory_limit_is_the_running_workers_limits_summed_as_the_cluster_scales()
    {
        const long limit = 1L << 30;
        await using var launcher = new InProcessWorkerLauncher();
        await using var cluster = await SpecCluster.StartAsync(new SpecClusterOptions { Launcher = launcher, Workers = 2, MemoryLimitPerWorker = limit, NamePrefix = "shared-" });
        launcher.Memory.Limit.ShouldBe(2 * limit);
        await Eventually.HoldsAsync(() => launcher.Memory.Holders == 2, Patience, "2 worker(s) in the shared account (each joins as its memory monitor starts)");

        await cluster.ScaleAsync(3).WaitAsync(Patience);
        launcher.Memory.Limit.ShouldBe(3 * limit);
        await Eventually.HoldsAsync(() => launcher.Memory.Holders == 3, Patience, "3 worker(s) in the shared account (each joins as its memory monitor starts)");

        await cluster.ScaleAsync(1).WaitAsync(Patience);
        launcher.Memory.Limit.ShouldBe(limit);
        await Eventually.HoldsAsync(() => launcher.Memory.Holders == 1, Patience, "1 worker(s) in the shared account (each joins as its memory monitor starts)");
    }

    [Fact]
    public async Task Workers_without_a_limit_leave_the_process_without_one_and_watch_no_memory()
    {
        await using var launcher = new InProcessWorkerLauncher();
        await using var cluster = await SpecCluster.StartAsync(new SpecClusterOptions { Launcher = launcher, Workers = 2, NamePrefix = "unlimited-" });
        launcher.Memory.Limit.ShouldBe(0);
        launcher.Memory.Holders.ShouldBe(0);
    }
}
