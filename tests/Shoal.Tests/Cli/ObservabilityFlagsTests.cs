using Shoal.Cli;
using Shoal.Hosting;

namespace Shoal.Tests.Cli;

/// <summary>The flags of the workers' endpoint and of the OTLP export: parsed, checked, and passed on by a nanny.</summary>
public sealed class ObservabilityFlagsTests
{
    [Fact]
    public async Task Worker_flags_reach_the_host_and_the_nanny_passes_them_to_its_worker()
    {
        var cli = new CliHarness();
        (await cli.RunAsync("worker tcp://127.0.0.1:8786 --nworkers 2 --http-port 9100 --otlp-endpoint http://collector:4318 --otlp-interval 2s")).ShouldBe(0, cli.Stderr.ToString());
        var options = cli.Worker!;
        options.HttpPort.ShouldBe(9100);
        options.HttpPortOf(1).ShouldBe(9101);
        (options with { HttpPort = 0 }).HttpPortOf(1).ShouldBe(0);
        options.OtlpEndpoint.ShouldBe("http://collector:4318");
        options.OtlpProtocol.ShouldBe("http/protobuf");
        options.OtlpInterval.ShouldBe(TimeSpan.FromSeconds(2));
        WorkerHostOptions.ObservabilityArguments(options with { HttpPort = options.HttpPortOf(1) })
            .ShouldBe(["--http-port", "9101", "--otlp-endpoint", "http://collector:4318", "--otlp-protocol", "http/protobuf", "--otlp-interval", "2000ms"]);
        WorkerHostOptions.ObservabilityArguments(new WorkerHostOptions { SchedulerAddress = "tcp://x:1" }).ShouldBeEmpty();
    }

    [Fact]
    public async Task Scheduler_takes_an_otlp_endpoint_and_protocol()
    {
        var cli = new CliHarness();
        (await cli.RunAsync("scheduler --otlp-endpoint http://collector:4317 --otlp-protocol grpc")).ShouldBe(0, cli.Stderr.ToString());
        cli.Scheduler!.OtlpEndpoint.ShouldBe("http://collector:4317");
        cli.Scheduler.OtlpProtocol.ShouldBe("grpc");
        (await new CliHarness().RunAsync("scheduler")).ShouldBe(0);
    }

    [Theory]
    [InlineData("worker tcp://127.0.0.1:8786 --otlp-endpoint collector:4318", "invalid --otlp-endpoint 'collector:4318': expected an http:// or https:// address")]
    [InlineData("worker tcp://127.0.0.1:8786 --otlp-endpoint ftp://collector", "invalid --otlp-endpoint 'ftp://collector'")]
    [InlineData("scheduler --otlp-endpoint http://c:4318 --otlp-protocol thrift", "thrift")]
    [InlineData("worker tcp://127.0.0.1:8786 --http-port 70000", "invalid --http-port '70000'")]
    public async Task Bad_values_are_usage_errors_that_start_nothing(string commandLine, string expected)
    {
        var cli = new CliHarness();
        (await cli.RunAsync(commandLine)).ShouldBe(ShoalCommand.UsageError);
        cli.Stderr.ToString().ShouldContain(expected);
        cli.HostCalls.ShouldBe(0);
    }
}
