using System.Net;
using System.Text.Json.Nodes;
using Shoal.Cloud.Aws;
using Shoal.Cloud.Tests.Aws.Fake;
using Shoal.Tests.Resilience;

namespace Shoal.Cloud.Tests.Aws;

public sealed class EcsClusterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Fargate_workers_start_private_and_tagged_compute_and_disposal_removes_every_object()
    {
        await using var aws = await FakeAws.StartAsync();
        await using (var cluster = await FargateCluster.StartAsync(aws.Options() with { Workers = 2, Tags = new Dictionary<string, string> { ["team"] = "data" } }))
        {
            await using var client = await Client.ConnectAsync(cluster);
            (await client.GatherAsync(client.Map(static (int x) => x * x, Enumerable.Range(0, 20)))).ShouldBe(Enumerable.Range(0, 20).Select(x => x * x));

            cluster.StartupTimes.Count.ShouldBe(2);
            cluster.StartupTimes.Values.ShouldAllBe(t => t > TimeSpan.Zero && t < Patience);
            aws.Containers.Running.ShouldBe(2);

            // The task definition: awsvpc on Fargate, the worker script under /bin/sh -c, logs to the cluster's group.
            var task = aws.Ecs.Tasks[0];
            var definition = aws.Ecs.DefinitionOf(task.Definition)!;
            definition["networkMode"]!.GetValue<string>().ShouldBe("awsvpc");
            var container = definition["containerDefinitions"]![0]!;
            container["entryPoint"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["/bin/sh", "-c"]);
            container["command"]![0]!.GetValue<string>().ShouldBe(WorkerScript.Text);
            container["logConfiguration"]!["options"]!["awslogs-group"]!.GetValue<string>().ShouldBe($"/shoal/{cluster.Id}");
            aws.Logs.RetentionOf($"/shoal/{cluster.Id}").ShouldBe(7);

            // Each task: the cluster's tags and its own worker's, Fargate (not Spot), the worker's identity and credentials in its environment.
            aws.Ecs.Tasks.Select(t => t.Tags["shoal:worker"]).Order(StringComparer.Ordinal).ShouldBe(cluster.WorkerNames.Order(StringComparer.Ordinal));
            aws.Ecs.Tasks.ShouldAllBe(t => t.Tags["shoal:cluster"] == cluster.Id && t.Tags["team"] == "data" && t.CapacityProvider == "FARGATE" && t.StartedBy == "shoal-" + cluster.Id);
            task.Environment[WorkerEnvironment.TlsCa].ShouldStartWith("-----BEGIN CERTIFICATE-----");
            task.Environment[WorkerEnvironment.SchedulerAddress].ShouldBe(cluster.SchedulerAddress);

            // The security group admits only its own members.
            var group = task.Groups.ShouldHaveSingleItem();
            aws.Ec2.IngressOf(group).ShouldBe([("tcp", 0, 65535, group)]);
            aws.Iam.PoliciesOf($"shoal-{cluster.Id}-execution").ShouldBe([IamApi.ExecutionPolicy]);

            // The logs of each worker come from its CloudWatch stream.
            var logs = await cluster.GetLogsAsync();
            logs.Values.ShouldAllBe(lines => lines.Contains("worker started"));
        }

        aws.Leftovers().ShouldBeEmpty();
        aws.Containers.Running.ShouldBe(0);
        aws.Calls.ShouldAllBe(c => c.Status == 200);
    }

    [Fact]
    public async Task Throttled_calls_are_retried_with_back_off_and_nothing_is_left()
    {
        await using var aws = await FakeAws.StartAsync();
        aws.Throttle = (_, _, count) => count % 3 == 0; // every third call of every service
        await using (var cluster = await FargateCluster.StartAsync(aws.Options() with { Workers = 2 }))
        {
            await cluster.ScaleAsync(3).WaitAsync(Patience);
        }

        aws.Calls.Count(c => c.Status is 400 or 503).ShouldBeGreaterThan(5);
        aws.Calls.Where(c => c.Status == 503).ShouldAllBe(c => c.Service == "ec2"); // EC2 says RequestLimitExceeded with 503
        aws.Leftovers().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("CreateLogGroup")]
    [InlineData("AttachRolePolicy")]
    [InlineData("AuthorizeSecurityGroupIngress")]
    [InlineData("RegisterTaskDefinition")]
    public async Task A_refusal_half_way_through_the_start_removes_what_was_made_and_says_what_failed(string action)
    {
        await using var aws = await FakeAws.StartAsync();
        aws.FailOnce[action] = ("ClientException", "refused for the test", HttpStatusCode.BadRequest);

        var e = await Should.ThrowAsync<CloudApiException>(() => FargateCluster.StartAsync(aws.Options() with { Workers = 1 }));

        e.Action.ShouldBe(action);
        e.Message.ShouldContain("refused for the test");
        aws.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_task_quota_reached_fails_only_the_workers_past_it_and_disposal_still_removes_everything()
    {
        await using var aws = await FakeAws.StartAsync();
        aws.Ecs.TaskQuota = 2;
        await using (var cluster = await FargateCluster.StartAsync(aws.Options() with { Workers = 2, StartTimeout = TimeSpan.FromSeconds(3) }))
        {
            var e = await Should.ThrowAsync<InvalidOperationException>(() => cluster.ScaleAsync(3));
            e.Message.ShouldContain("could not start");
            cluster.WorkerNames.Count.ShouldBe(2); // the third could not start and is not counted
            aws.Ecs.Tasks.Count.ShouldBe(2);
        }

        aws.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_task_that_never_starts_is_stopped_after_the_start_timeout_and_nothing_is_left()
    {
        await using var aws = await FakeAws.StartAsync();
        aws.Ecs.NeverStart = true;
        await using (var cluster = await FargateCluster.StartAsync(aws.Options() with { TaskStartTimeout = TimeSpan.FromMilliseconds(300), StartTimeout = TimeSpan.FromSeconds(3) }))
        {
            (await Should.ThrowAsync<InvalidOperationException>(() => cluster.ScaleAsync(1))).Message.ShouldContain("could not start");
            await Eventually.HoldsAsync(() => aws.Ecs.Tasks is [{ DesiredStatus: "STOPPED", StoppedReason: "Shoal: never started" }], Patience, "the stuck task stopped");
            cluster.WorkerNames.ShouldBeEmpty();
        }

        aws.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task The_iam_role_quota_reached_fails_the_start_with_its_code_and_removes_what_was_made()
    {
        await using var aws = await FakeAws.StartAsync();
        aws.Iam.RoleQuota = 0;
        var e = await Should.ThrowAsync<CloudApiException>(() => FargateCluster.StartAsync(aws.Options() with { Workers = 1 }));
        e.Code.ShouldBe("LimitExceeded");
        e.Status.ShouldBe(HttpStatusCode.Conflict);
        aws.Leftovers().ShouldBeEmpty(); // the ECS cluster and the log group made before it are gone
        aws.Calls.ShouldContain(c => c.Action == "DeleteLogGroup");
    }

    [Fact]
    public async Task First_workers_that_never_start_fail_the_start_and_everything_made_for_them_is_removed()
    {
        await using var aws = await FakeAws.StartAsync();
        aws.Ecs.NeverStart = true;
        (await Should.ThrowAsync<InvalidOperationException>(() => FargateCluster.StartAsync(aws.Options() with
        {
            Workers = 2, TaskStartTimeout = TimeSpan.FromMilliseconds(300), StartTimeout = TimeSpan.FromSeconds(2),
        }))).Message.ShouldContain("could not start");
        aws.Ecs.Tasks.Count.ShouldBe(2);
        aws.Ecs.Tasks.ShouldAllBe(t => t.LastStatus == "STOPPED");
        aws.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task Fargate_spot_runs_tasks_on_the_spot_capacity_provider()
    {
        await using var aws = await FakeAws.StartAsync();
        await using (var cluster = await FargateCluster.StartAsync(aws.Options() with { Workers = 1, FargateSpot = true }))
            aws.Ecs.Tasks.ShouldHaveSingleItem().CapacityProvider.ShouldBe("FARGATE_SPOT");
        aws.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_wrong_secret_key_is_refused_by_the_signature_check_and_nothing_is_made()
    {
        await using var aws = await FakeAws.StartAsync();
        var e = await Should.ThrowAsync<CloudApiException>(() => FargateCluster.StartAsync(aws.Options() with
        {
            Credentials = new Amazon.Runtime.BasicAWSCredentials(FakeAws.AccessKey, "not-the-secret"),
        }));
        e.Code.ShouldBe("InvalidSignatureException");
        e.Status.ShouldBe(HttpStatusCode.Forbidden);
        aws.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public async Task Cleanup_by_id_removes_one_abandoned_cluster_and_leaves_another_alone()
    {
        await using var aws = await FakeAws.StartAsync();
        await using var kept = await FargateCluster.StartAsync(aws.Options() with { Workers = 1 });
        var before = aws.Leftovers().Count;
        await using var other = await FargateCluster.StartAsync(aws.Options() with { Workers = 1 });

        var found = await EcsCluster.CleanupAsync(aws.Options(), other.Id);

        found.ShouldBe([other.Id]);
        aws.Leftovers().Count.ShouldBe(before);
        aws.Leftovers().ShouldAllBe(l => !l.Contains(other.Id, StringComparison.Ordinal));
        aws.Ecs.Tasks.Where(t => t.Tags["shoal:cluster"] == other.Id).ShouldAllBe(t => t.LastStatus == "STOPPED");
    }

    [Fact]
    public async Task Adaptive_scaling_between_one_and_three_workers_follows_the_load()
    {
        await using var aws = await FakeAws.StartAsync();
        await using (var cluster = await FargateCluster.StartAsync(aws.Options()))
        {
            await cluster.AdaptAsync(new Shoal.Deploy.AdaptOptions { Minimum = 1, Maximum = 3, Interval = TimeSpan.FromMilliseconds(100), WaitCount = 3, TargetDuration = 0.2 });
            await using var client = await Client.ConnectAsync(cluster);
            await Eventually.HoldsAsync(() => cluster.WorkerNames.Count == 1, Patience, "the minimum of one worker");
            var pause = TimeSpan.FromMilliseconds(100);
            var futures = client.Map((int x) =>
            {
                Task.Delay(pause).Wait(); // the task's own work
                return x;
            }, Enumerable.Range(0, 60)).ToList();
            await Eventually.HoldsAsync(() => cluster.WorkerNames.Count == 3, Patience, "scaled up to three");
            (await client.GatherAsync(futures)).ShouldBe(Enumerable.Range(0, 60));
            await Eventually.HoldsAsync(() => cluster.WorkerNames.Count == 1, Patience, "back to one when idle");
            aws.Ecs.Tasks.Count(t => t.DesiredStatus == "STOPPED").ShouldBe(2);
        }

        aws.Leftovers().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("image")]
    [InlineData("ec2-without-cluster")]
    [InlineData("spot-without-fargate")]
    [InlineData("token-only")]
    public async Task Bad_options_are_refused_before_anything_is_made(string what)
    {
        await using var aws = await FakeAws.StartAsync();
        var options = what switch
        {
            "image" => aws.Options() with { Image = " " },
            "ec2-without-cluster" => aws.Options() with { Fargate = false },
            "spot-without-fargate" => aws.Options() with { Fargate = false, FargateSpot = true, ClusterArn = "arn:aws:ecs:eu-west-1:123456789012:cluster/x" },
            _ => aws.Options() with { Security = SecurityOptions.TemporaryToken() },
        };
        var e = await Should.ThrowAsync<ArgumentException>(() => EcsCluster.StartAsync(options));
        e.Message.ShouldNotBeNullOrWhiteSpace();
        aws.Calls.ShouldBeEmpty();
    }
}
