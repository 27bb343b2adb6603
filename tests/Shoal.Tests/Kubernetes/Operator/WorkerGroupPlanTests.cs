using Shoal.Kubernetes.Operator;

namespace Shoal.Tests.Kubernetes.Operator;

/// <summary>The operator's pure choice for a worker group: what to create, delete now, and retire first.</summary>
public sealed class WorkerGroupPlanTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static GroupPod Pod(string name, string phase = "Running", int minute = 0, bool deleting = false) => new(name, phase, deleting, T0.AddMinutes(minute));

    [Fact]
    public void Below_the_replicas_the_difference_is_created_and_ended_pods_are_deleted_and_not_counted()
    {
        var plan = WorkerGroupPlan.Decide(3, [Pod("a"), Pod("b", "Succeeded"), Pod("c", "Failed"), Pod("d", deleting: true)], [new("a", 0, 0, false)]);
        plan.Create.ShouldBe(2);
        plan.Delete.ShouldBe(["b", "c"]);
        plan.Retire.ShouldBeEmpty();
        (plan.Live, plan.Registered).ShouldBe((1, 1));
    }

    [Fact]
    public void Above_the_replicas_unregistered_pods_go_first_then_the_workers_holding_least_are_retired()
    {
        var pods = new[] { Pod("old", minute: 0), Pod("busy", minute: 1), Pod("light", minute: 2), Pod("pending", "Pending", 3), Pod("starting", "Running", 4) };
        RegisteredWorker[] workers = [new("old", 0, 0, false), new("busy", 50, 4, false), new("light", 0, 0, false)];

        var two = WorkerGroupPlan.Decide(3, pods, workers);
        two.Delete.ShouldBe(["pending", "starting"]); // Pending first, then the newest not registered
        two.Retire.ShouldBeEmpty();

        var four = WorkerGroupPlan.Decide(1, pods, workers);
        four.Delete.ShouldBe(["pending", "starting"]);
        four.Retire.ShouldBe(["light", "old"]); // no results: the newest first; "busy" holds 50 results and stays
        four.Create.ShouldBe(0);
    }

    [Fact]
    public void Workers_already_retiring_count_as_going_and_are_not_named_again()
    {
        var pods = new[] { Pod("a"), Pod("b", minute: 1), Pod("c", minute: 2) };
        var plan = WorkerGroupPlan.Decide(1, pods, [new("a", 0, 0, false), new("b", 0, 0, true), new("c", 0, 0, false)]);
        plan.Retire.ShouldBe(["c"]);
        WorkerGroupPlan.Decide(2, pods, [new("a", 0, 0, false), new("b", 0, 0, true), new("c", 0, 0, false)]).ShouldSatisfyAllConditions(
            p => p.Retire.ShouldBeEmpty(), p => p.Create.ShouldBe(0));
    }

    [Fact]
    public void At_the_replicas_nothing_is_done_and_negative_replicas_are_refused()
    {
        var plan = WorkerGroupPlan.Decide(2, [Pod("a"), Pod("b")], [new("a", 0, 0, false), new("b", 1, 0, false)]);
        (plan.Create, plan.Delete.Count, plan.Retire.Count, plan.Live, plan.Registered).ShouldBe((0, 0, 0, 2, 2));
        Should.Throw<ArgumentOutOfRangeException>(() => WorkerGroupPlan.Decide(-1, [], []));
    }
}
