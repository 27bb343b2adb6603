namespace Shoal.Tests.Cli;

public class HostOutcomeTests
{
    [Fact]
    public async Task The_hosts_exit_code_is_the_commands()
    {
        var cli = new CliHarness { HostBehaviour = _ => Task.FromResult(7) };

        (await cli.RunAsync("scheduler")).ShouldBe(7);
    }

    [Fact]
    public async Task A_failing_host_gets_one_line_and_exit_code_1()
    {
        var cli = new CliHarness
        {
            HostBehaviour = _ => throw new InvalidOperationException("port 8786 is taken\nby another process"),
        };

        (await cli.RunAsync("scheduler")).ShouldBe(1);

        cli.StderrLines.ShouldHaveSingleItem().ShouldBe("shoal scheduler: port 8786 is taken by another process");
    }

    [Fact]
    public async Task Cancelling_the_token_stops_the_host_gracefully()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cli = new CliHarness
        {
            HostBehaviour = async ct =>
            {
                started.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return 99;
            },
        };
        using var stop = new CancellationTokenSource();

        var run = cli.RunAsync("worker h:1", stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        run.IsCompleted.ShouldBeFalse();
        await stop.CancelAsync();

        (await run.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBe(0);
        cli.Stderr.ToString().ShouldBeEmpty();
    }

    [Fact]
    public async Task The_host_gets_the_callers_stdout()
    {
        var cli = new CliHarness();
        TextWriter? given = null;
        var hosts = new Shoal.Cli.HostEntryPoints(
            (_, w, _) => { given = w; return Task.FromResult(0); },
            (_, _, _) => Task.FromResult(0),
            (_, _, _) => Task.FromResult(0));

        await Shoal.Cli.ShoalCommand.InvokeAsync(["scheduler"], new Shoal.Cli.CliContext(cli.Stdout, cli.Stderr, hosts), default);

        given.ShouldBeSameAs(cli.Stdout);
    }
}
