using Shoal.Tests.Cli;

namespace Shoal.Tests.Resilience;

public class ResilienceFlagTests
{
    [Fact]
    public async Task Worker_resilience_flags_map_to_the_worker_options()
    {
        var cli = new CliHarness();

        var exit = await cli.RunAsync("worker tcp://127.0.0.1:8786 --no-nanny --local-directory /tmp/spill " +
            "--memory-target-fraction 0.5 --memory-pause-fraction 70% --memory-terminate-fraction 0.9 --death-timeout 5s");

        exit.ShouldBe(0);
        var o = cli.Worker.ShouldNotBeNull();
        o.Nanny.ShouldBeFalse();
        o.LocalDirectory.ShouldBe("/tmp/spill");
        o.MemoryTargetFraction.ShouldBe(0.5);
        o.MemoryPauseFraction.ShouldBe(0.7, 1e-12);
        o.MemoryTerminateFraction.ShouldBe(0.9);
        o.DeathTimeout.ShouldBe(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Workers_run_under_a_nanny_with_Dask_memory_fractions_by_default()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("worker tcp://127.0.0.1:8786")).ShouldBe(0);

        var o = cli.Worker.ShouldNotBeNull();
        o.Nanny.ShouldBeTrue();
        o.MemoryTargetFraction.ShouldBe(0.6);
        o.MemoryPauseFraction.ShouldBe(0.8);
        o.MemoryTerminateFraction.ShouldBe(0.95);
    }

    [Fact]
    public async Task A_fraction_above_one_is_a_usage_error()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("worker tcp://127.0.0.1:8786 --memory-pause-fraction 1.5")).ShouldBe(2);
    }

    [Fact]
    public async Task Scheduler_idle_timeout_maps_to_the_scheduler_options()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("scheduler --idle-timeout 5s")).ShouldBe(0);

        cli.Scheduler.ShouldNotBeNull().IdleTimeout.ShouldBe(TimeSpan.FromSeconds(5));
    }
}
