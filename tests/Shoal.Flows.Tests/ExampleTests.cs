namespace Shoal.Flows.Tests;

/// <summary>examples/Flows prints 12 last, and `shoal flows runs` then lists its run as Completed from the default SQLite store.</summary>
[Collection(ProcessesCollection.Name)]
public class ExampleTests
{
    [Fact]
    public async Task The_example_prints_12_and_shoal_flows_runs_lists_it_Completed()
    {
        var home = Directory.CreateTempSubdirectory("shoal-flows-home-").FullName;
        try
        {
            // The default store is ~/.shoal/flows.db: a temporary HOME keeps the user's own runs out of it.
            var environment = new Dictionary<string, string> { ["HOME"] = home, [FlowStores.EnvironmentVariable] = "" };
            var (exit, stdout, stderr) = await CliProcess.RunDllAsync(ExampleDll(), [], environment);
            exit.ShouldBe(0, stderr);
            stdout.TrimEnd().Split('\n')[^1].ShouldBe("12");
            File.Exists(Path.Join(home, ".shoal", "flows.db")).ShouldBeTrue();

            var runs = await CliProcess.RunAsync(["flows", "runs"], environment);
            runs.Exit.ShouldBe(0, runs.Stderr);
            var line = runs.Stdout.Split('\n')[1];
            line.ShouldContain("seeds-");
            line.ShouldContain(" Completed ");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>examples/Flows's build output, in the configuration the tests were built in.</summary>
    private static string ExampleDll()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory); // tests/Shoal.Flows.Tests/bin/<configuration>/<framework>/
        var framework = bin.Name;
        var configuration = bin.Parent!.Name;
        var repository = bin.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Join(repository, "examples", "Flows", "bin", configuration, framework, "Flows.dll");
        File.Exists(dll).ShouldBeTrue($"{dll} is built with the tests");
        return dll;
    }
}
