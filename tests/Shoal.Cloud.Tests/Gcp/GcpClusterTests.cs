using Shoal.Cloud.Gcp;
using Shoal.Tests.Resilience;

namespace Shoal.Cloud.Tests.Gcp;

public sealed class GcpClusterTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("shoal-gcp-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Vms_start_private_behind_a_tag_scoped_firewall_compute_and_disposal_removes_them_and_the_rule()
    {
        await using var gcp = await FakeGcp.StartAsync();
        await using (var cluster = await GcpCluster.StartAsync(gcp.Options(gcp.WriteKeyFile(_directory)) with { Workers = 2 }))
        {
            await using var client = await Client.ConnectAsync(cluster);
            (await client.GatherAsync(client.Map(static (int x) => x + 1, Enumerable.Range(0, 10)))).ShouldBe(Enumerable.Range(1, 10));
            cluster.StartupTimes.Count.ShouldBe(2);
            gcp.TokensIssued.ShouldBeGreaterThan(0); // the service-account key's JWT was exchanged at its token_uri

            // The firewall rule admits TCP only between VMs carrying the cluster's network tag.
            var rule = gcp.Firewalls.ShouldHaveSingleItem();
            rule["sourceTags"]![0]!.GetValue<string>().ShouldBe("shoal-" + cluster.Id);
            rule["targetTags"]![0]!.GetValue<string>().ShouldBe("shoal-" + cluster.Id);
            rule["sourceRanges"].ShouldBeNull();

            // Each VM: Container-Optimized OS, no external address, the cluster's tag and labels, cloud-init and the worker's pairs in its metadata.
            var vm = gcp.InstanceBody(cluster.WorkerNames[0])!;
            vm["disks"]![0]!["initializeParams"]!["sourceImage"]!.GetValue<string>().ShouldBe("projects/cos-cloud/global/images/family/cos-stable");
            vm["networkInterfaces"]![0]!["accessConfigs"]!.AsArray().ShouldBeEmpty();
            vm["tags"]!["items"]![0]!.GetValue<string>().ShouldBe("shoal-" + cluster.Id);
            vm["labels"]!["shoal-cluster"]!.GetValue<string>().ShouldBe(cluster.Id);
            var metadata = vm["metadata"]!["items"]!.AsArray().ToDictionary(i => i!["key"]!.GetValue<string>(), i => i!["value"]!.GetValue<string>());
            metadata["user-data"].ShouldBe(GcpCloudInit.UserData("localhost/shoal:latest"));
            metadata[WorkerEnvironment.TlsCertificate].ShouldStartWith("-----BEGIN CERTIFICATE-----");
            metadata[WorkerEnvironment.WorkerName].ShouldBe(cluster.WorkerNames[0]);

            (await cluster.GetLogsAsync()).Values.ShouldAllBe(lines => lines.Contains("shoal-worker: worker started"));
        }

        gcp.Leftovers().ShouldBeEmpty();
        gcp.Containers.Running.ShouldBe(0);
    }

    [Fact]
    public async Task Public_ingress_and_spot_are_given_only_when_asked_and_extra_ranges_join_the_rule()
    {
        await using var gcp = await FakeGcp.StartAsync();
        await using (var cluster = await GcpCluster.StartAsync(gcp.Options(gcp.WriteKeyFile(_directory)) with
        {
            Workers = 1, PublicIngress = true, Spot = true, IngressRanges = ["10.8.0.0/24"],
        }))
        {
            var vm = gcp.InstanceBody(cluster.WorkerNames[0])!;
            vm["networkInterfaces"]![0]!["accessConfigs"]![0]!["type"]!.GetValue<string>().ShouldBe("ONE_TO_ONE_NAT");
            vm["scheduling"]!["provisioningModel"]!.GetValue<string>().ShouldBe("SPOT");
            gcp.Firewalls.ShouldHaveSingleItem()["sourceRanges"]![0]!.GetValue<string>().ShouldBe("10.8.0.0/24");
        }
        gcp.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_cpu_quota_reached_fails_the_vms_past_it_on_their_operation_and_nothing_is_left()
    {
        await using var gcp = await FakeGcp.StartAsync();
        gcp.CpuQuota = 4; // two e2-standard-2
        await using (var cluster = await GcpCluster.StartAsync(gcp.Options(gcp.WriteKeyFile(_directory)) with { Workers = 2, StartTimeout = TimeSpan.FromSeconds(3) }))
        {
            var e = await Should.ThrowAsync<InvalidOperationException>(() => cluster.ScaleAsync(3));
            e.Message.ShouldContain("could not start");
            cluster.WorkerNames.Count.ShouldBe(2);
        }
        gcp.Inserted.Count.ShouldBe(3);
        gcp.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task Rate_limits_are_retried_and_a_409_for_the_clusters_own_vm_is_taken_as_its_insert_done()
    {
        await using var gcp = await FakeGcp.StartAsync();
        gcp.RateLimit = (_, count) => count % 4 == 0;
        gcp.ConflictOnNextInsert = true;
        await using (var cluster = await GcpCluster.StartAsync(gcp.Options(gcp.WriteKeyFile(_directory)) with { Workers = 2 }))
            cluster.WorkerNames.Count.ShouldBe(2);
        gcp.Calls.ShouldContain(c => c.Status == 403);
        gcp.Calls.ShouldContain(c => c.Status == 409);
        gcp.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_vm_that_never_runs_is_deleted_after_the_start_timeout()
    {
        await using var gcp = await FakeGcp.StartAsync();
        gcp.NeverStart = true;
        await using (var cluster = await GcpCluster.StartAsync(gcp.Options(gcp.WriteKeyFile(_directory)) with { InstanceStartTimeout = TimeSpan.FromMilliseconds(400), StartTimeout = TimeSpan.FromSeconds(3) }))
        {
            (await Should.ThrowAsync<InvalidOperationException>(() => cluster.ScaleAsync(1))).Message.ShouldContain("could not start");
            await Eventually.HoldsAsync(() => gcp.Leftovers().All(l => !l.StartsWith("VM ", StringComparison.Ordinal)), Patience, "the stuck VM deleted");
        }
        gcp.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_key_the_token_endpoint_does_not_trust_is_refused_and_nothing_is_made()
    {
        await using var gcp = await FakeGcp.StartAsync();
        using var stranger = System.Security.Cryptography.RSA.Create(2048);
        var e = await Should.ThrowAsync<Exception>(() => GcpCluster.StartAsync(gcp.Options(gcp.WriteKeyFile(_directory, stranger))));
        e.Message.ShouldContain("Invalid JWT Signature");
        gcp.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task Cleanup_removes_an_abandoned_clusters_vms_and_rule_by_label_and_name()
    {
        await using var gcp = await FakeGcp.StartAsync();
        var options = gcp.Options(gcp.WriteKeyFile(_directory));
        await using var kept = await GcpCluster.StartAsync(options with { Workers = 1 });
        await using var abandoned = await GcpCluster.StartAsync(options with { Workers = 2 });

        (await GcpCluster.CleanupAsync(options, abandoned.Id)).ShouldBe([abandoned.Id]);

        gcp.Leftovers().ShouldAllBe(l => !l.Contains(abandoned.Id, StringComparison.Ordinal));
        gcp.Leftovers().Count.ShouldBe(2); // the kept cluster's VM and rule
    }

    [Theory]
    [InlineData("project")]
    [InlineData("label")]
    [InlineData("token-only")]
    public async Task Bad_options_are_refused_before_anything_is_made(string what)
    {
        await using var gcp = await FakeGcp.StartAsync();
        var options = gcp.Options(gcp.WriteKeyFile(_directory));
        options = what switch
        {
            "project" => options with { Project = "" },
            "label" => options with { Labels = new Dictionary<string, string> { ["Team"] = "x" } },
            _ => options with { Security = SecurityOptions.TemporaryToken() },
        };
        await Should.ThrowAsync<ArgumentException>(() => GcpCluster.StartAsync(options));
        gcp.Calls.ShouldBeEmpty();
    }
}
