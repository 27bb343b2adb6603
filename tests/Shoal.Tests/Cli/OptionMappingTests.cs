namespace Shoal.Tests.Cli;

public class OptionMappingTests
{
    [Fact]
    public async Task Worker_flags_map_to_the_worker_options()
    {
        var cli = new CliHarness();

        var exit = await cli.RunAsync(
            "worker tcp://10.1.2.3:9000 --nthreads 3 --nworkers 2 --name gpu-box --memory-limit 6GB " +
            "--resources GPU=1,MEM=8e9 --death-timeout 60s --host 0.0.0.0");

        exit.ShouldBe(0);
        var o = cli.Worker.ShouldNotBeNull();
        o.SchedulerAddress.ShouldBe("tcp://10.1.2.3:9000");
        o.NThreads.ShouldBe(3);
        o.NWorkers.ShouldBe(2);
        o.Name.ShouldBe("gpu-box");
        o.MemoryLimit.ShouldBe(6_000_000_000L);
        o.GetMemoryLimitPerWorker().ShouldBe(6_000_000_000L);
        o.Resources.Count.ShouldBe(2);
        o.Resources["GPU"].ShouldBe(1.0);
        o.Resources["MEM"].ShouldBe(8e9);
        o.DeathTimeout.ShouldBe(TimeSpan.FromSeconds(60));
        o.ListenHost.ShouldBe("0.0.0.0");
        cli.HostCalls.ShouldBe(1);
    }

    [Fact]
    public async Task Worker_defaults_are_the_options_defaults()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("worker 127.0.0.1:8786")).ShouldBe(0);

        var o = cli.Worker.ShouldNotBeNull();
        o.SchedulerAddress.ShouldBe("tcp://127.0.0.1:8786");
        o.NThreads.ShouldBe(Environment.ProcessorCount);
        o.NWorkers.ShouldBe(1);
        o.Name.ShouldBeNull();
        o.MemoryLimit.ShouldBeNull();
        o.GetMemoryLimitPerWorker().ShouldBe(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        o.Resources.ShouldBeEmpty();
        o.DeathTimeout.ShouldBeNull();
        o.ListenHost.ShouldBeNull();
    }

    [Theory]
    [InlineData("tcp://scheduler:8786", "tcp://scheduler:8786")]
    [InlineData("scheduler.local:8786", "tcp://scheduler.local:8786")]
    [InlineData("TCP://10.0.0.5:1", "tcp://10.0.0.5:1")]
    [InlineData("tls://scheduler:8786", "tls://scheduler:8786")]
    [InlineData("[::1]:8786", "tcp://[::1]:8786")]
    [InlineData("tls://[fe80::1]:443", "tls://[fe80::1]:443")]
    public async Task Worker_address_is_normalised(string given, string expected)
    {
        var cli = new CliHarness();

        (await cli.RunAsync(["worker", given])).ShouldBe(0);

        cli.Worker.ShouldNotBeNull().SchedulerAddress.ShouldBe(expected);
    }

    [Fact]
    public async Task Worker_memory_limit_auto_and_zero()
    {
        var auto = new CliHarness();
        (await auto.RunAsync("worker h:1 --memory-limit auto --nworkers 2")).ShouldBe(0);
        auto.Worker.ShouldNotBeNull().MemoryLimit.ShouldBeNull();
        auto.Worker.GetMemoryLimitPerWorker().ShouldBe(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

        var none = new CliHarness();
        (await none.RunAsync("worker h:1 --memory-limit 0")).ShouldBe(0);
        none.Worker.ShouldNotBeNull().MemoryLimit.ShouldBe(0L);
    }

    [Fact]
    public async Task An_at_sign_is_a_plain_value_not_a_response_file()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("worker h:1 --name @gpu")).ShouldBe(0);

        cli.Worker.ShouldNotBeNull().Name.ShouldBe("@gpu");
    }

    [Fact]
    public async Task Equals_sign_and_repeated_separators_are_accepted()
    {
        var cli = new CliHarness();

        (await cli.RunAsync(["worker", "h:1", "--memory-limit=512 MiB", "--resources", "GPU=2 MEM=1GB"])).ShouldBe(0);

        var o = cli.Worker.ShouldNotBeNull();
        o.MemoryLimit.ShouldBe(512L * 1024 * 1024);
        o.Resources["GPU"].ShouldBe(2.0);
        o.Resources["MEM"].ShouldBe(1e9);
    }

    [Fact]
    public async Task Scheduler_flags_map_to_the_scheduler_options()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("scheduler --host 0.0.0.0 --port 9786 --dashboard-port 0 --idle-timeout 15m")).ShouldBe(0);

        var o = cli.Scheduler.ShouldNotBeNull();
        o.Host.ShouldBe("0.0.0.0");
        o.Port.ShouldBe(9786);
        o.DashboardPort.ShouldBe(0);
        o.IdleTimeout.ShouldBe(TimeSpan.FromMinutes(15));
    }

    [Fact]
    public async Task Scheduler_defaults_are_the_options_defaults()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("scheduler")).ShouldBe(0);

        cli.Scheduler.ShouldBe(new Shoal.Hosting.SchedulerHostOptions());
        cli.Scheduler!.Port.ShouldBe(8786);
        cli.Scheduler.Host.ShouldBe("127.0.0.1");
    }

    [Fact]
    public async Task Local_flags_map_to_the_local_options()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("local --workers 4 --threads-per-worker 2 --memory-per-worker 4GB --host :: --port 0 --http-port 9100")).ShouldBe(0);

        var o = cli.Local.ShouldNotBeNull();
        o.Workers.ShouldBe(4);
        o.ThreadsPerWorker.ShouldBe(2);
        o.GetThreadsPerWorker().ShouldBe(2);
        o.MemoryPerWorker.ShouldBe(4_000_000_000L);
        o.Host.ShouldBe("::");
        o.Port.ShouldBe(0);
        o.WorkerHttpPort.ShouldBe(9100);
    }

    [Fact]
    public async Task Local_defaults_are_the_options_defaults()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("local")).ShouldBe(0);

        cli.Local.ShouldBe(new Shoal.Hosting.LocalHostOptions());
        cli.Local!.GetThreadsPerWorker().ShouldBe(Environment.ProcessorCount);
    }
}
