using Shoal.Execution;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;

namespace Shoal.Tests.Security;

/// <summary>
/// A worker credential cannot register under the name of another live worker (and so push it out
/// and be handed its tasks): only that worker reconnecting, or its own nanny's next worker, may.
/// </summary>
public class WorkerNameClaimTests
{
    private static RegisterWorker Claim(string instance, string nannyId = "") =>
        new() { Name = "w", Address = "tcp://127.0.0.1:9", InstanceId = instance, NannyId = nannyId };

    [Fact]
    public void A_free_name_may_be_taken() => WorkerNameClaims.Refusal(Claim("i1"), live: null).ShouldBeNull();

    [Fact]
    public void The_same_worker_reconnecting_keeps_its_name() => WorkerNameClaims.Refusal(Claim("i1"), Claim("i1")).ShouldBeNull();

    [Fact]
    public void The_same_nannys_restarted_worker_takes_the_name_over() =>
        WorkerNameClaims.Refusal(Claim("i2", nannyId: "n1"), Claim("i1", nannyId: "n1")).ShouldBeNull();

    [Theory]
    [InlineData("", "")]
    [InlineData("n2", "n1")]
    [InlineData("", "n1")]
    public void Another_worker_may_not_take_a_live_workers_name(string claimNanny, string liveNanny) =>
        WorkerNameClaims.Refusal(Claim("i2", claimNanny), Claim("i1", liveNanny))
            .ShouldBe("the worker name 'w' belongs to a live worker at tcp://127.0.0.1:9: give this worker another name (--name), or stop that one first");

    private static WorkerServerOptions Worker(SchedulerServer scheduler, string name, string? nannyId = null) => new()
    {
        SchedulerAddress = scheduler.Address, ListenAddress = "tcp://127.0.0.1:0", Name = name, NThreads = 1,
        Nanny = nannyId is not null, NannyId = nannyId,
    };

    [Fact]
    public async Task A_second_worker_under_a_live_workers_name_is_refused_with_the_reason_and_the_first_keeps_working()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0" });
        await using var first = await WorkerServer.StartAsync(Worker(scheduler, "twin"));

        var refused = await Should.ThrowAsync<InvalidOperationException>(() => WorkerServer.StartAsync(Worker(scheduler, "twin")).WaitAsync(SecurityTestKit.Patience));
        refused.Message.ShouldBe($"registration refused: the worker name 'twin' belongs to a live worker at {first.Address}: give this worker another name (--name), or stop that one first");

        scheduler.WorkerCount.ShouldBe(1);
        scheduler.Departures.ShouldBeEmpty();
        await using var client = await Client.ConnectAsync(scheduler.Address);
        (await client.Submit(static (int v) => v + 1, 41).ResultAsync().WaitAsync(SecurityTestKit.Patience)).ShouldBe(42);
    }

    [Fact]
    public async Task The_same_nannys_next_worker_replaces_the_one_the_scheduler_still_counts()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0" });
        await using var first = await WorkerServer.StartAsync(Worker(scheduler, "kept", nannyId: "n1"));
        await using var second = await WorkerServer.StartAsync(Worker(scheduler, "kept", nannyId: "n1"));

        // The second was not refused: it started, which needs an accepted registration.
        second.Registrations.ShouldBeGreaterThanOrEqualTo(1);
        scheduler.WorkerCount.ShouldBe(1);
        // Both in this one process: the scheduler takes the second for the first one reconnecting. The
        // first, still alive here (a real nanny's previous worker is dead), may reconnect in its turn and
        // replace the second the same way: one registration of the name at a time, every departure of it.
        scheduler.Departures.ShouldNotBeEmpty();
        scheduler.Departures.ShouldAllBe(d => d.Worker == "kept" && d.Cause == "reconnected");
        scheduler.WorkerProcesses.ShouldHaveSingleItem().Worker.ShouldBe("kept");
    }
}
