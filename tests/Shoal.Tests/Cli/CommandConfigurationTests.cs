using Shoal.Cli;

namespace Shoal.Tests.Cli;

/// <summary>Every command's options from a YAML or JSON file and SHOAL_ environment variables; flags win, then the environment.</summary>
public sealed class CommandConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shoal-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(int Exit, CliHarness Cli)> RunAsync(string[] args, Dictionary<string, string>? environment = null)
    {
        var cli = new CliHarness { Environment = environment ?? [] };
        return (await cli.RunAsync(args), cli);
    }

    [Fact]
    public async Task A_yaml_file_configures_a_command_and_flags_win_over_it()
    {
        var file = Write("shoal.yaml", "worker:\n  address: tcp://10.0.0.1:8786\n  nthreads: 3\n  name: from-file\n  resources:\n    - GPU=1\n");
        var (exit, cli) = await RunAsync(["worker", "--config", file, "--name", "from-flag"]);
        exit.ShouldBe(0, cli.Stderr.ToString());
        var o = cli.Worker.ShouldNotBeNull();
        o.SchedulerAddress.ShouldBe("tcp://10.0.0.1:8786");
        o.NThreads.ShouldBe(3);
        o.Name.ShouldBe("from-flag");
        o.Resources["GPU"].ShouldBe(1.0);
    }

    [Fact]
    public async Task Environment_variables_win_over_the_file_and_lose_to_flags()
    {
        var file = Write("shoal.json", """{ "scheduler": { "port": 9001, "dashboard-address": ":0" } }""");
        var environment = new Dictionary<string, string> { ["SHOAL_CONFIG"] = file, ["SHOAL_SCHEDULER__PORT"] = "9002" };
        var (exit, cli) = await RunAsync(["scheduler"], environment);
        exit.ShouldBe(0, cli.Stderr.ToString());
        cli.Scheduler.ShouldNotBeNull().Port.ShouldBe(9002);

        (exit, cli) = await RunAsync(["scheduler", "--port", "9003"], environment);
        exit.ShouldBe(0, cli.Stderr.ToString());
        cli.Scheduler.ShouldNotBeNull().Port.ShouldBe(9003);

        (exit, cli) = await RunAsync(["scheduler"], new Dictionary<string, string> { ["SHOAL_CONFIG"] = file });
        exit.ShouldBe(0, cli.Stderr.ToString());
        cli.Scheduler.ShouldNotBeNull().Port.ShouldBe(9001);
    }

    [Fact]
    public async Task Hyphenated_options_take_underscores_in_environment_variables()
    {
        var (exit, cli) = await RunAsync(["worker", "tcp://10.0.0.1:8786"], new Dictionary<string, string> { ["SHOAL_WORKER__MEMORY_LIMIT"] = "2GB" });
        exit.ShouldBe(0, cli.Stderr.ToString());
        cli.Worker.ShouldNotBeNull().MemoryLimit.ShouldBe(2_000_000_000L);
    }

    [Fact]
    public async Task A_configured_value_is_checked_as_a_typed_one()
    {
        var (exit, cli) = await RunAsync(["worker", "tcp://10.0.0.1:8786"], new Dictionary<string, string> { ["SHOAL_WORKER__NTHREADS"] = "many" });
        exit.ShouldBe(ShoalCommand.UsageError);
        cli.StderrLines.Single().ShouldContain("many");
        cli.HostCalls.ShouldBe(0);
    }

    [Fact]
    public async Task A_missing_or_malformed_file_is_a_usage_error_that_names_it()
    {
        var missing = Path.Combine(_dir, "nope.yaml");
        var (exit, cli) = await RunAsync(["worker", "tcp://10.0.0.1:8786", "--config", missing]);
        exit.ShouldBe(ShoalCommand.UsageError);
        cli.StderrLines.Single().ShouldContain(missing);
        cli.HostCalls.ShouldBe(0);

        var bad = Write("bad.yaml", "worker: [unclosed\n");
        (exit, cli) = await RunAsync(["worker", "tcp://10.0.0.1:8786", "--config", bad]);
        exit.ShouldBe(ShoalCommand.UsageError);
        cli.StderrLines.Single().ShouldContain("cannot read the configuration file");
        cli.HostCalls.ShouldBe(0);
    }

    [Fact]
    public async Task A_key_in_the_file_that_names_no_command_or_option_is_a_usage_error_that_names_it()
    {
        // Written as a user first writes it, without the command's section: otherwise ignored without a word.
        var flat = Write("flat.yaml", "workers: 2\nport: 18799\n");
        var (exit, cli) = await RunAsync(["worker", "tcp://10.0.0.1:8786", "--config", flat]);
        exit.ShouldBe(ShoalCommand.UsageError);
        cli.StderrLines.Single().ShouldContain("'port' is not a shoal command");
        cli.HostCalls.ShouldBe(0);

        var misspelt = Write("misspelt.yaml", "worker:\n  nthread: 2\n");
        (exit, cli) = await RunAsync(["worker", "tcp://10.0.0.1:8786", "--config", misspelt]);
        exit.ShouldBe(ShoalCommand.UsageError);
        cli.StderrLines.Single().ShouldContain("'nthread' under worker is not an option of shoal worker");
        cli.HostCalls.ShouldBe(0);

        // Another command's section in the same file is fine.
        var shared = Write("shared.yaml", "scheduler:\n  port: 9001\nworker:\n  nthreads: 2\n");
        (exit, cli) = await RunAsync(["worker", "tcp://10.0.0.1:8786", "--config", shared]);
        exit.ShouldBe(0, cli.Stderr.ToString());
        cli.Worker.ShouldNotBeNull().NThreads.ShouldBe(2);
    }
}
