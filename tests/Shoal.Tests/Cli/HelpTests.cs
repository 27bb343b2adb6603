namespace Shoal.Tests.Cli;

public class HelpTests
{
    [Theory]
    [InlineData("scheduler", new[] { "--host", "--port", "--dashboard-port", "--idle-timeout" })]
    [InlineData("worker", new[] { "<ADDRESS>", "--nthreads", "--nworkers", "--name", "--memory-limit", "--resources", "--death-timeout", "--host" })]
    [InlineData("local", new[] { "--workers", "--threads-per-worker", "--memory-per-worker", "--host", "--port", "--http-port", "--tls-ca-file", "--tls-cert", "--tls-key", "--tls-worker-cert", "--tls-worker-key", "--token-file" })]
    [InlineData("ssh", new[] { "<HOST>", "--nworkers", "--nthreads", "--ssh-username", "--ssh-private-key", "--known-hosts", "--accept-new-host-keys", "--jump-host", "--remote-shoal" })]
    public async Task Help_of_each_command_lists_its_options(string command, string[] options)
    {
        var cli = new CliHarness();

        var exit = await cli.RunAsync($"{command} --help");

        exit.ShouldBe(0);
        var help = cli.Stdout.ToString();
        help.ShouldContain($"shoal {command}");
        foreach (var option in options)
        {
            help.ShouldContain(option);
        }

        cli.Stderr.ToString().ShouldBeEmpty();
        cli.HostCalls.ShouldBe(0);
    }

    [Fact]
    public async Task Help_of_the_root_lists_the_commands()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("--help")).ShouldBe(0);

        var help = cli.Stdout.ToString();
        help.ShouldContain("shoal [command]");
        help.ShouldContain("scheduler");
        help.ShouldContain("worker");
        help.ShouldContain("local");
    }

    [Fact]
    public async Task Help_wins_over_a_bad_flag()
    {
        var cli = new CliHarness();

        (await cli.RunAsync("worker tcp://h:1 --bogus --help")).ShouldBe(0);

        cli.Stdout.ToString().ShouldContain("--memory-limit");
        cli.HostCalls.ShouldBe(0);
    }
}
