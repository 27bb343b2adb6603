using Shoal.Deploy;

namespace Shoal.Tests.Deploy;

public sealed class SpecClusterStartupTimesTests
{
    [Fact]
    public async Task Each_registered_worker_has_its_time_from_request_to_registration_and_a_scale_up_adds_only_the_new_ones()
    {
        await using var launcher = new InProcessWorkerLauncher();
        await using var cluster = await SpecCluster.StartAsync(new SpecClusterOptions { Launcher = launcher, Workers = 2, NamePrefix = "startup-" });

        var first = cluster.StartupTimes;
        first.Keys.Order(StringComparer.Ordinal).ShouldBe(["startup-1", "startup-2"]);
        first.Values.ShouldAllBe(t => t > TimeSpan.Zero);

        await cluster.ScaleAsync(3);
        var second = cluster.StartupTimes;
        second.Count.ShouldBe(3);
        second["startup-1"].ShouldBe(first["startup-1"]); // measured once
        second.Keys.ShouldContain("startup-3");
    }
}
