namespace Shoal.Tests.Cli;

public class UsageErrorTests
{
    [Theory]
    [InlineData("worker tcp://127.0.0.1:8786 --memory-limit 6XB", "shoal worker: invalid --memory-limit '6XB': unknown unit 'XB'")]
    [InlineData("worker tcp://127.0.0.1:8786 --memory-limit 0.5", "shoal worker: invalid --memory-limit '0.5'")]
    [InlineData("worker tcp://127.0.0.1:8786 --death-timeout 5parsecs", "shoal worker: invalid --death-timeout '5parsecs'")]
    [InlineData("worker tcp://127.0.0.1:8786 --resources GPU", "shoal worker: invalid --resources 'GPU'")]
    [InlineData("worker tcp://127.0.0.1:8786 --nthreads 0", "shoal worker: invalid --nthreads '0': must be at least 1")]
    [InlineData("worker tcp://127.0.0.1:8786 --nworkers many", "shoal worker: invalid --nworkers 'many': not a whole number")]
    [InlineData("worker tcp://127.0.0.1:8786 --host http://x:1", "shoal worker: invalid --host 'http://x:1'")]
    [InlineData("worker tcp://127.0.0.1:8786 --frobnicate", "shoal worker: Unrecognized command or argument '--frobnicate'")]
    [InlineData("worker", "shoal worker: Required argument 'ADDRESS' missing")]
    [InlineData("worker inproc://cluster-1", "shoal worker: invalid address 'inproc://cluster-1': inproc://")]
    [InlineData("worker udp://h:1", "shoal worker: invalid address 'udp://h:1': unknown scheme")]
    [InlineData("worker 127.0.0.1", "shoal worker: invalid address '127.0.0.1': the port is missing")]
    [InlineData("worker tcp://127.0.0.1:70000", "shoal worker: invalid address 'tcp://127.0.0.1:70000'")]
    [InlineData("scheduler --port http", "shoal scheduler: invalid --port 'http'")]
    [InlineData("scheduler --idle-timeout soon", "shoal scheduler: invalid --idle-timeout 'soon'")]
    [InlineData("scheduler --dashboard-port -1", "shoal scheduler: invalid --dashboard-port '-1'")]
    [InlineData("scheduler --dashboard-address nohost:notaport", "shoal scheduler: invalid --dashboard-address 'nohost:notaport': the port must be a number from 0 to 65535")]
    [InlineData("scheduler --dashboard-address nocolon", "shoal scheduler: invalid --dashboard-address 'nocolon': expected HOST:PORT or :PORT")]
    [InlineData("local --workers 0", "shoal local: invalid --workers '0'")]
    [InlineData("local --memory-per-worker 4QB", "shoal local: invalid --memory-per-worker '4QB'")]
    [InlineData("local --threads-per-worker -2", "shoal local: invalid --threads-per-worker '-2'")]
    [InlineData("local --port 99999", "shoal local: invalid --port '99999'")]
    [InlineData("worker h:1 h:2", "shoal worker: Unrecognized command or argument 'h:2'")]
    [InlineData("worker h:1 --nthreads", "shoal worker: Required argument missing for option: '--nthreads'")]
    [InlineData("frobnicate", "shoal: ")]
    [InlineData("", "shoal: Required command was not provided")]
    public async Task A_bad_command_line_gets_one_line_on_stderr_and_exit_code_2(string commandLine, string expectedStart)
    {
        var cli = new CliHarness();

        var exit = await cli.RunAsync(commandLine);

        exit.ShouldBe(2);
        cli.StderrLines.Length.ShouldBe(1);
        cli.StderrLines[0].ShouldStartWith(expectedStart);
        cli.Stdout.ToString().ShouldBeEmpty();
        cli.HostCalls.ShouldBe(0);
    }

    [Fact]
    public async Task Several_errors_still_make_one_line()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("local --workers 0 --port 99999 --bogus")).ShouldBe(2);

        var line = cli.StderrLines.ShouldHaveSingleItem();
        line.ShouldContain("--workers '0'");
        line.ShouldContain("--port '99999'");
        line.ShouldContain("--bogus");
    }
}
