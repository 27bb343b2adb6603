using System.Text.Json.Nodes;
using k8s;
using Shoal.Tests.Kubernetes.Fake;
using Shoal.Tests.Resilience;
using static Shoal.Tests.Kubernetes.Operator.OperatorHarness;

namespace Shoal.Tests.Kubernetes.Operator;

/// <summary>ShoalJob (a client program against a fresh cluster, removed when it ends) and ShoalAutoscaler (a worker group sized by the scheduler's adaptive target).</summary>
public sealed class ShoalJobAndAutoscalerTests
{
    [Fact]
    public async Task A_ShoalJob_runs_its_client_against_a_fresh_cluster_and_the_cluster_is_removed_when_the_client_ends()
    {
        await using var h = await OperatorHarness.StartAsync();
        int? computed = null;
        h.Kubelet.Runner = async (pod, address, security, ct) =>
        {
            // The runner finds the scheduler and its credentials as a program in the pod would.
            await using var client = await Client.ConnectAsync(address, new ClientOptions { Security = security }, ct);
            await client.WaitForWorkersAsync(2).WaitAsync(Patience, ct);
            var total = client.Submit(static (int[] v) => v.Sum(), client.Map(static (int x) => x + 1, Enumerable.Range(0, 100)));
            computed = await total.ResultAsync().WaitAsync(Patience, ct);
            pod.Log($"total {computed}");
            return true;
        };
        await h.CreateAsync("shoaljobs", new JsonObject
        {
            ["apiVersion"] = "shoal.dev/v1alpha1", ["kind"] = "ShoalJob", ["metadata"] = new JsonObject { ["name"] = "etl" },
            ["spec"] = new JsonObject
            {
                ["cluster"] = new JsonObject { ["image"] = "localhost/shoal:test", ["workers"] = new JsonObject { ["replicas"] = 2 } },
                ["runner"] = new JsonObject { ["image"] = "localhost/etl:1", ["command"] = new JsonArray("dotnet", "Etl.dll") },
            },
        });

        var job = await h.StatusAsync(Jobs, "etl", s => s.Str("phase") == "Succeeded", "the job succeeds");
        computed.ShouldBe(5050);
        job["status"].Str("cluster").ShouldBe("etl");
        job["status"].Str("startTime").ShouldNotBeNull();
        job["status"].Str("completionTime").ShouldNotBeNull();
        ShoalOperatorTests.Condition(job, "Complete").ShouldBe(("True", "Succeeded"));

        // The cluster and everything it owned are gone; the runner pod stays (owned by the job) for its log.
        await Eventually.HoldsAsync(() => h.Get(Clusters, "etl") is null, Patience, "the job's cluster deleted");
        await h.Api.SettledAsync();
        h.Api.Objects("pods").Select(p => (p.Meta().Str("name"), p["status"].Str("phase"))).ShouldBe([("etl-runner", "Succeeded")]);
        h.Api.Store.All().Select(o => o.Resource).Distinct().Order().ShouldBe(["customresourcedefinitions.apiextensions.k8s.io", "pods", Jobs]);
        var runner = h.Api.Objects("pods")[0]["spec"]!["containers"]![0]!;
        runner["env"]!.AsArray().Single(e => e.Str("name") == "SHOAL_SCHEDULER_ADDRESS").Str("value").ShouldBe("tls://etl-scheduler.default.svc:8786");
        using (var log = new StreamReader(await h.Admin.CoreV1.ReadNamespacedPodLogAsync("etl-runner", "default")))
            (await log.ReadToEndAsync()).ShouldContain("total 5050");

        // Deleting the job removes the runner pod too.
        await h.Admin.CustomObjects.DeleteNamespacedCustomObjectAsync("shoal.dev", "v1alpha1", "default", "shoaljobs", "etl");
        await h.Api.SettledAsync();
        h.Api.Store.All().Where(o => o.Resource != "customresourcedefinitions.apiextensions.k8s.io").ShouldBeEmpty();
    }

    [Fact]
    public async Task A_ShoalJob_whose_client_fails_is_Failed_and_its_cluster_still_removed()
    {
        await using var h = await OperatorHarness.StartAsync();
        h.Kubelet.Runner = (pod, address, security, ct) => Task.FromResult(false);
        await h.CreateAsync("shoaljobs", new JsonObject
        {
            ["apiVersion"] = "shoal.dev/v1alpha1", ["kind"] = "ShoalJob", ["metadata"] = new JsonObject { ["name"] = "broken" },
            ["spec"] = new JsonObject
            {
                ["cluster"] = new JsonObject { ["image"] = "localhost/shoal:test", ["workers"] = new JsonObject { ["replicas"] = 1 } },
                ["runner"] = new JsonObject { ["image"] = "localhost/etl:1" },
            },
        });
        var job = await h.StatusAsync(Jobs, "broken", s => s.Str("phase") == "Failed", "the job fails");
        ShoalOperatorTests.Condition(job, "Complete").ShouldBe(("False", "Failed"));
        await Eventually.HoldsAsync(() => h.Get(Clusters, "broken") is null, Patience, "the job's cluster deleted");
        await h.Api.SettledAsync();
        h.Api.Objects("pods").Select(p => p.Meta().Str("name")).ShouldBe(["broken-runner"]);
    }

    [Fact]
    public async Task A_ShoalAutoscaler_grows_the_group_under_load_and_shrinks_it_by_retirement_when_the_work_is_done()
    {
        await using var h = await OperatorHarness.StartAsync();
        await h.CreateAsync("shoalclusters", Cluster("elastic", workers: 1));
        await h.GroupSettledAsync("elastic-default", 1);
        await h.CreateAsync("shoalautoscalers", new JsonObject
        {
            ["apiVersion"] = "shoal.dev/v1alpha1", ["kind"] = "ShoalAutoscaler", ["metadata"] = new JsonObject { ["name"] = "elastic" },
            ["spec"] = new JsonObject { ["cluster"] = "elastic", ["minimum"] = 1, ["maximum"] = 3, ["intervalSeconds"] = 1, ["waitCount"] = 2 },
        });
        await using var client = await ShoalOperatorTests.ConnectAsync(h, "elastic");

        // A backlog held at a gate wants more workers than the maximum: the group grows to 3. The workers load the
        // closure's code over the wire (their own copy of this assembly, so no static gate is shared): the gate is a file.
        var gate = Path.Combine(Path.GetTempPath(), $"shoal-operator-gate-{Guid.NewGuid():N}");
        try
        {
            var futures = client.Map((int x) =>
            {
                SpinWait.SpinUntil(() => File.Exists(gate));
                return x * 3;
            }, Enumerable.Range(0, 60)).ToList();
            var grown = await h.StatusAsync(Autoscalers, "elastic", s => s["desired"]?.GetValue<int>() == 3, "the autoscaler asks for 3 workers");
            grown["status"]!["target"]!.GetValue<int>().ShouldBeGreaterThan(1);
            await h.GroupSettledAsync("elastic-default", 3);
            var three = h.WorkerPods("elastic-default").Select(p => p.Meta().Str("name")!).ToHashSet();

            // Done and idle: the target falls; after two lower readings the group shrinks to 1, workers retired before their pods go.
            await File.WriteAllTextAsync(gate, "open");
            (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 60).Select(x => x * 3));
            await h.StatusAsync(Autoscalers, "elastic", s => s["desired"]?.GetValue<int>() == 1, "the autoscaler asks for 1 worker");
            await h.GroupSettledAsync("elastic-default", 1);
            var kept = (await client.GetClusterInfoAsync()).Workers.Select(w => w.Name).ShouldHaveSingleItem();
            h.WorkerPods("elastic-default").Select(p => p.Meta().Str("name")).ShouldBe([kept]);
            h.Api.DeletedPods.Order().ShouldBe(three.Where(n => n != kept).Order());
            // The retired workers' results moved: all still there.
            (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 60).Select(x => x * 3));
        }
        finally
        {
            File.Delete(gate);
        }
    }
}
