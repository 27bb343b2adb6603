using System.Diagnostics;
using Shoal.Cloud.Aws;
using Shoal.Cloud.Gcp;
using Shoal.Cloud.Tests.Aws.Fake;
using Shoal.Cloud.Tests.Gcp;

namespace Shoal.Cloud.Tests;

/// <summary>
/// A client program (tests/Fixtures/CloudClient) starts a cluster against the fakes and is killed: what it
/// made stays (as it would on AWS or Google Cloud), and <c>CleanupAsync</c> finds it by tag or label and removes it all.
/// </summary>
public sealed class KilledClientTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("shoal-killed-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task An_ecs_cluster_whose_client_was_killed_is_removed_by_cleanup_credentials_from_the_sdks_chain()
    {
        await using var aws = await FakeAws.StartAsync();
        var urls = aws.ServiceUrls;
        var id = await StartAndKillAsync(new Dictionary<string, string>
        {
            // AWSSDK.Core's chain finds these in the environment, as on a developer's machine or in CI.
            ["AWS_ACCESS_KEY_ID"] = FakeAws.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = FakeAws.SecretKey, ["AWS_REGION"] = FakeAws.Region,
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        }, "ecs", urls["ecs"].ToString(), urls["ec2"].ToString(), urls["iam"].ToString(), urls["logs"].ToString());

        aws.Leftovers().ShouldNotBeEmpty(); // the killed client removed nothing
        aws.Leftovers().ShouldContain(l => l.StartsWith("task ", StringComparison.Ordinal));

        (await EcsCluster.CleanupAsync(aws.Options())).ShouldBe([id]);

        aws.Leftovers().ShouldBeEmpty();
        aws.Containers.Running.ShouldBe(0);
    }

    [Fact]
    public async Task A_gcp_cluster_whose_client_was_killed_is_removed_by_cleanup_credentials_from_the_metadata_server()
    {
        await using var gcp = await FakeGcp.StartAsync();
        var key = gcp.WriteKeyFile(_directory);
        var home = Directory.CreateDirectory(Path.Join(_directory, "home")).FullName;
        // No key file and no gcloud configuration: application default credentials come from the metadata server, as on a VM.
        var id = await StartAndKillAsync(new Dictionary<string, string>
        {
            ["GCE_METADATA_HOST"] = gcp.BaseAddress.Authority, ["HOME"] = home, ["CLOUDSDK_CONFIG"] = home, ["GOOGLE_APPLICATION_CREDENTIALS"] = "",
        }, "gcp", FakeGcp.Project, FakeGcp.Zone, new Uri(gcp.BaseAddress, "/compute/v1/").ToString(), "-");

        gcp.MetadataCalls.ShouldContain(p => p.EndsWith("/service-accounts/default/token", StringComparison.Ordinal));
        gcp.Leftovers().ShouldNotBeEmpty();

        (await GcpCluster.CleanupAsync(gcp.Options(key))).ShouldBe([id]);

        gcp.Leftovers().ShouldBeEmpty();
        gcp.Containers.Running.ShouldBe(0);
    }

    /// <summary>Runs the client until it says its cluster is ready, kills it with its whole process tree, and gives the cluster's id.</summary>
    private static async Task<string> StartAndKillAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ClientDll());
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
        {
            if (value.Length == 0) start.Environment.Remove(key); // not inherited from the test's environment
            else start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90));
            if (line is null) throw new InvalidOperationException("the client ended before its cluster was ready: " + await errors);
            line.ShouldStartWith("ready ");
            return line["ready ".Length..];
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>tests/Fixtures/CloudClient's build output, in the configuration the tests were built in.</summary>
    private static string ClientDll()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory); // tests/Shoal.Cloud.Tests/bin/<configuration>/<framework>/
        var repository = bin.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Join(repository, "tests", "Fixtures", "CloudClient", "bin", bin.Parent.Name, bin.Name, "CloudClient.dll");
        File.Exists(dll).ShouldBeTrue($"{dll} is built with the tests");
        return dll;
    }
}
