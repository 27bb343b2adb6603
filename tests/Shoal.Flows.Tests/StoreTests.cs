namespace Shoal.Flows.Tests;

/// <summary>The run records in SQLite and in a real PostgreSQL server, read back by <c>shoal flows</c>.</summary>
public class StoreTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_seeds_flow_is_recorded_in_PostgreSQL_and_read_back_by_the_cli()
    {
        await using var store = await FlowStores.OpenAsync(postgres.ConnectionString);
        store.ShouldBeOfType<PostgresFlowRunStore>();
        var results = Directory.CreateTempSubdirectory("shoal-flows-results-").FullName;
        try
        {
            await using var runner = new FlowRunner(store, FlowExecutors.InProcess(), new FlowRunnerOptions { ResultStore = new LocalDirectoryResultStore(results) });
            var result = await runner.RunAsync(Seeds.Flow, new Seeds.Parameters());
            result.Result.ShouldBe(12, result.Error);
            await Records.ShouldHoldSeedsRunAsync(store, result.Id);

            var (exit, stdout, stderr) = await CliProcess.RunAsync(["flows", "show", result.Name, "--db", postgres.Uri]);
            exit.ShouldBe(0, stderr);
            stdout.ShouldContain($"state      Completed");
            stdout.ShouldContain("GetSum-0");
            (await store.TryClaimScheduledRunAsync("nightly", DateTimeOffset.UnixEpoch)).ShouldBeTrue();
            (await store.TryClaimScheduledRunAsync("nightly", DateTimeOffset.UnixEpoch)).ShouldBeFalse();
            (await store.LastClaimedAsync("nightly")).ShouldBe(DateTimeOffset.UnixEpoch);
        }
        finally
        {
            Directory.Delete(results, recursive: true);
        }
    }

    [Fact]
    public async Task The_cli_lists_shows_graphs_and_prints_the_logs_of_SQLite_records()
    {
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());
        var result = await runner.RunAsync(Seeds.Flow, new Seeds.Parameters());
        result.Result.ShouldBe(12);

        var runs = await CliProcess.RunAsync(["flows", "runs", "--db", temp.DbPath]);
        runs.Exit.ShouldBe(0, runs.Stderr);
        var line = runs.Stdout.Split('\n')[1];
        line.ShouldStartWith(result.Id.ToString()[..8]);
        line.ShouldContain(result.Name);
        line.ShouldContain(" Completed ");

        var show = await CliProcess.RunAsync(["flows", "show", result.Id.ToString(), "--db", temp.DbPath]);
        show.Stdout.ShouldContain("task runs  4");
        show.Stdout.ShouldContain("""parameters {"x":[1,2,3]}""");

        var dot = await CliProcess.RunAsync(["flows", "graph", result.Id.ToString()[..6], "--format", "dot", "--db", temp.DbPath]);
        dot.Stdout.ShouldStartWith($"digraph \"{result.Name}\"");
        dot.Stdout.Split('\n').Count(l => l.Contains(" -> ")).ShouldBe(3);

        var logs = await CliProcess.RunAsync(["flows", "logs", result.Name, "--follow", "--db", temp.DbPath]);
        logs.Exit.ShouldBe(0, logs.Stderr);
        logs.Stdout.ShouldContain("cluster: in-process");

        var missing = await CliProcess.RunAsync(["flows", "show", "no-such-run", "--db", temp.DbPath]);
        missing.Exit.ShouldBe(1);
        missing.Stderr.ShouldStartWith("shoal flows show: no flow run 'no-such-run'");

        // A --db that names no store is an error, and leaves no new database behind.
        var nowhere = Path.Combine(Path.GetDirectoryName(temp.DbPath)!, "no-such-dir", "flows.db");
        var typo = await CliProcess.RunAsync(["flows", "runs", "--db", nowhere]);
        typo.Exit.ShouldBe(2);
        typo.Stderr.ShouldStartWith($"shoal flows runs: no run store at {nowhere}");
        Directory.Exists(Path.GetDirectoryName(nowhere)).ShouldBeFalse();
    }

    [Fact]
    public void The_store_location_comes_from_the_flag_then_the_environment_then_the_home_directory()
    {
        FlowStores.Resolve("/tmp/x.db").ShouldBe("/tmp/x.db");
        FlowStores.DefaultPath.ShouldEndWith("/.shoal/flows.db");
        FlowStores.NpgsqlConnectionString("postgresql://u:p%40ss@db.example:6543/runs").ShouldBe("Host=db.example;Port=6543;Database=runs;Username=u;Password=p@ss");
    }
}
