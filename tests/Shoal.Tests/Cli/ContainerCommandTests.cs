using Shoal.Scheduling;

namespace Shoal.Tests.Cli;

/// <summary>What the container image runs: `local --workers auto` and `health`.</summary>
public sealed class ContainerCommandTests
{
    [Fact]
    public async Task Local_workers_auto_is_a_single_threaded_worker_per_processor_and_a_bad_count_is_a_usage_error()
    {
        var cli = new CliHarness();
        (await cli.RunAsync("local --workers auto")).ShouldBe(0);
        cli.Local!.Workers.ShouldBe(Environment.ProcessorCount);
        cli.Local.GetThreadsPerWorker().ShouldBe(1);
        cli.Local.GetMemoryPerWorker().ShouldBe(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / Environment.ProcessorCount);

        var threads = new CliHarness();
        (await threads.RunAsync("local --workers auto --threads-per-worker 3")).ShouldBe(0);
        threads.Local!.GetThreadsPerWorker().ShouldBe(3);

        var bad = new CliHarness();
        (await bad.RunAsync("local --workers some")).ShouldBe(2);
        bad.StderrLines.ShouldHaveSingleItem().ShouldContain("not a whole number nor 'auto'");
        bad.HostCalls.ShouldBe(0);
    }

    [Fact]
    public async Task Health_is_0_for_a_scheduler_that_answers_with_enough_workers_and_1_with_the_reason_otherwise()
    {
        var security = SecurityOptions.TemporaryToken();
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = security });
        var directory = Directory.CreateTempSubdirectory("shoal-health-");
        var tokenFile = Path.Combine(directory.FullName, "token");
        Shoal.Security.LocalCredentials.WritePrivateFile(tokenFile, security.TokenFor(Shoal.Protocol.Messages.Role.Client)!);

        var healthy = new CliHarness();
        (await healthy.RunAsync(["health", scheduler.Address, "--token-file", tokenFile])).ShouldBe(0, healthy.Stderr.ToString());
        healthy.Stdout.ToString().ShouldContain("healthy: " + scheduler.Address);

        var tooFew = new CliHarness();
        (await tooFew.RunAsync(["health", scheduler.Address, "--token-file", tokenFile, "--min-workers", "1"])).ShouldBe(1);
        tooFew.StderrLines.ShouldHaveSingleItem().ShouldContain("has 0 workers (at least 1 wanted)");

        var nobody = new CliHarness();
        (await nobody.RunAsync(["health", $"tcp://127.0.0.1:{Deploy.Ports.Free()}", "--timeout", "2s"])).ShouldBe(1);
        nobody.StderrLines.ShouldHaveSingleItem().ShouldStartWith("shoal health: ");
        directory.Delete(recursive: true);
    }
}
