using System.Security.Cryptography;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>
/// <see cref="Client.GetVersionsAsync(bool, CancellationToken)"/> reports the code in use: what each client's tasks
/// shipped and each worker loaded, with another build of the client's code on a worker named as a mismatch. Real
/// worker processes; two builds of one assembly made by the test.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class CodeVersionsTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task Each_worker_lists_the_builds_it_loaded_and_a_worker_with_only_another_build_is_a_mismatch()
    {
        var dir = Directory.CreateTempSubdirectory("shoal-code-versions-").FullName;
        try
        {
            var path1 = TcpCodeVersionTests.BuildVersion(Path.Combine(dir, "v1"), 1);
            var path2 = TcpCodeVersionTests.BuildVersion(Path.Combine(dir, "v2"), 2);
            var hash1 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path1)));
            var hash2 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path2)));
            var v1 = TcpCodeVersionTests.LoadAnswer(path1, "versions-v1");
            var v2 = TcpCodeVersionTests.LoadAnswer(path2, "versions-v2");
            var (w0, w1) = (cluster.WorkerNames[0], cluster.WorkerNames[1]);
            await using var first = await cluster.ConnectAsync();
            await using var second = await cluster.ConnectAsync();
            (await first.Submit(v1, 1, new SubmitOptions { Workers = [w0] }).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(1001);
            (await second.Submit(v2, 1, new SubmitOptions { Workers = [w1] }).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(1002);

            var versions = await second.GetVersionsAsync().WaitAsync(E2E.Timeout);
            versions.Client.Code.ShouldBe([new CodeVersion("E2EVersioned", "1.0.0.0", hash2)]);
            versions.Scheduler.Code.ShouldBeEmpty("the scheduler never loads user code");
            versions.Workers[w0].Code.ShouldBe([new CodeVersion("E2EVersioned", "1.0.0.0", hash1)]);
            versions.Workers[w1].Code.ShouldBe([new CodeVersion("E2EVersioned", "1.0.0.0", hash2)]);
            versions.Mismatches.ShouldBe([$"worker {w0} has loaded E2EVersioned 1.0.0.0 ({hash1[..12]}), not the client's E2EVersioned 1.0.0.0 ({hash2[..12]})"]);
            var checkedError = await E2E.CatchAsync(() => second.GetVersionsAsync(check: true));
            checkedError.ShouldBeOfType<InvalidOperationException>().Message.ShouldContain($"worker {w0} has loaded E2EVersioned");
            (await first.GetVersionsAsync().WaitAsync(E2E.Timeout)).Mismatches.ShouldBe(
                [$"worker {w1} has loaded E2EVersioned 1.0.0.0 ({hash2[..12]}), not the client's E2EVersioned 1.0.0.0 ({hash1[..12]})"]);

            // Once the second client's build runs on w0 too, that worker holds both builds (one context each): no mismatch for it.
            (await second.Submit(v2, 3, new SubmitOptions { Workers = [w0] }).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(3002);
            var after = await second.GetVersionsAsync(check: true).WaitAsync(E2E.Timeout);
            after.Workers[w0].Code.Select(c => c.Hash).Order().ShouldBe(new[] { hash1, hash2 }.Order());
            after.Mismatches.ShouldBeEmpty();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Versions_compare_shoal_runtime_and_code_builds_against_the_client()
    {
        var mine = new CodeVersion("Lib", "2.0.0.0", "aaaaaaaaaaaaaaaa");
        var older = new CodeVersion("Lib", "1.0.0.0", "bbbbbbbbbbbbbbbb");
        var other = new CodeVersion("Unrelated", "1.0.0.0", "cccccccccccccccc");
        var client = new ProcessVersions("1.0", ".NET 10.0.0", "Linux") { Code = [mine] };
        var workers = new Dictionary<string, ProcessVersions>
        {
            ["same"] = client with { Code = [mine, older] },
            ["older"] = client with { Code = [older, other] },
            ["untouched"] = client with { Code = [] },
            ["runtime"] = client with { Runtime = ".NET 9.0.0" },
        };
        new ClusterVersions(client, client with { Code = [] }, workers).Mismatches.ShouldBe(
        [
            "worker older has loaded Lib 1.0.0.0 (bbbbbbbbbbbb), not the client's Lib 2.0.0.0 (aaaaaaaaaaaa)",
            "worker runtime runs .NET 9.0.0, the client .NET 10.0.0",
        ]);
    }
}
