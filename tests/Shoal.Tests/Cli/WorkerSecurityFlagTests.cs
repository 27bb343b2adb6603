namespace Shoal.Tests.Cli;

/// <summary>The worker's --insecure flag reaches its options (the host enforces what it means).</summary>
public class WorkerSecurityFlagTests
{
    [Theory]
    [InlineData("worker tcp://10.0.0.1:8786 --host 0.0.0.0 --insecure", true)]
    [InlineData("worker tcp://10.0.0.1:8786 --host 0.0.0.0", false)]
    public async Task Insecure_maps_to_the_worker_options(string commandLine, bool insecure)
    {
        var cli = new CliHarness();
        (await cli.RunAsync(commandLine)).ShouldBe(0);
        cli.Worker!.Insecure.ShouldBe(insecure);
        cli.Worker.ListenHost.ShouldBe("0.0.0.0");
    }
}
