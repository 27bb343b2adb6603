using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;

namespace Shoal.Tests.Coordination;

/// <summary>The scheduler's coordination primitives as a pure state machine: requests in, answers out.</summary>
public class CoordinationStateTests
{
    private readonly CoordinationState _state = new();
    private ulong _nextId;

    private static CoordinationValue Value(string text) => new([Segment.FromObject(text)], "System.String");

    private ulong Ask(int client, CoordinationOp op, string name, CoordinationValue? value = null, double timeout = -1, string lease = "", int max = 1, double now = 0)
    {
        var id = ++_nextId;
        _state.Request(new CoordinationAsk(client, id, op, name) { Value = value, Timeout = timeout, LeaseId = lease, MaxLeases = max }, now);
        return id;
    }

    private string[] Answers() =>
        _state.TakeAnswers().Select(a => $"c{a.Client}#{a.RequestId} {(a.Ok ? "ok" : "no")}{(a.Value is null ? "" : " " + a.Value.Segments[0].Object)}{(a.Error.Length > 0 ? " " + a.Error : "")}").ToArray();

    [Fact]
    public void A_variable_get_waits_until_a_set_and_every_waiter_gets_the_value()
    {
        var a = Ask(1, CoordinationOp.VariableGet, "x");
        var b = Ask(2, CoordinationOp.VariableGet, "x");
        Answers().ShouldBeEmpty();
        _state.WaitingCount.ShouldBe(2);
        var set = Ask(3, CoordinationOp.VariableSet, "x", Value("v1"));
        Answers().ShouldBe([$"c3#{set} ok", $"c1#{a} ok v1", $"c2#{b} ok v1"]);
        var c = Ask(1, CoordinationOp.VariableGet, "x");
        Answers().ShouldBe([$"c1#{c} ok v1"]);
        var delete = Ask(1, CoordinationOp.VariableDelete, "x");
        var again = Ask(1, CoordinationOp.VariableDelete, "x");
        Answers().ShouldBe([$"c1#{delete} ok", $"c1#{again} no"]);
    }

    [Fact]
    public void Queue_items_go_to_one_getter_each_in_order_and_waiters_first_come_first_served()
    {
        Ask(1, CoordinationOp.QueuePut, "q", Value("a"));
        Ask(1, CoordinationOp.QueuePut, "q", Value("b"));
        Answers();
        var g1 = Ask(2, CoordinationOp.QueueGet, "q");
        var g2 = Ask(3, CoordinationOp.QueueGet, "q");
        var g3 = Ask(4, CoordinationOp.QueueGet, "q");
        Answers().ShouldBe([$"c2#{g1} ok a", $"c3#{g2} ok b"]);
        var put = Ask(1, CoordinationOp.QueuePut, "q", Value("c"));
        Answers().ShouldBe([$"c4#{g3} ok c", $"c1#{put} ok"]);
        Ask(1, CoordinationOp.QueueSize, "q");
        _state.TakeAnswers().Single().Count.ShouldBe(0);
    }

    [Fact]
    public void A_waiting_request_times_out_or_is_cancelled_with_exactly_one_answer()
    {
        var timed = Ask(1, CoordinationOp.QueueGet, "q", timeout: 2, now: 10);
        var cancelled = Ask(1, CoordinationOp.EventWait, "e");
        var noWait = Ask(1, CoordinationOp.QueueGet, "q", timeout: 0);
        Answers().ShouldBe([$"c1#{noWait} no"]);
        _state.Tick(11.9);
        Answers().ShouldBeEmpty();
        _state.Tick(12);
        Answers().ShouldBe([$"c1#{timed} no"]);
        _state.Cancel(1, cancelled);
        Answers().ShouldBe([$"c1#{cancelled} no"]);
        _state.Cancel(1, cancelled); // answered already: nothing more
        Answers().ShouldBeEmpty();
        // An item put after the getter timed out stays in the queue.
        Ask(2, CoordinationOp.QueuePut, "q", Value("kept"));
        Answers();
        var get = Ask(3, CoordinationOp.QueueGet, "q");
        Answers().ShouldBe([$"c3#{get} ok kept"]);
        _state.WaitingCount.ShouldBe(0);
    }

    [Fact]
    public void An_event_releases_every_waiter_and_stays_set_until_cleared()
    {
        var w1 = Ask(1, CoordinationOp.EventWait, "go");
        var w2 = Ask(2, CoordinationOp.EventWait, "go");
        var set = Ask(3, CoordinationOp.EventSet, "go");
        Answers().ShouldBe([$"c3#{set} ok", $"c1#{w1} ok", $"c2#{w2} ok"]);
        var now = Ask(1, CoordinationOp.EventWait, "go");
        var isSet = Ask(1, CoordinationOp.EventIsSet, "go");
        var clear = Ask(1, CoordinationOp.EventClear, "go");
        var after = Ask(1, CoordinationOp.EventIsSet, "go");
        Answers().ShouldBe([$"c1#{now} ok", $"c1#{isSet} ok", $"c1#{clear} ok", $"c1#{after} no"]);
    }

    [Fact]
    public void Semaphore_leases_are_bounded_granted_in_order_and_released_when_their_holder_leaves()
    {
        var a = Ask(1, CoordinationOp.SemaphoreAcquire, "s", lease: "L1", max: 2);
        var b = Ask(2, CoordinationOp.SemaphoreAcquire, "s", lease: "L2", max: 2);
        var c = Ask(3, CoordinationOp.SemaphoreAcquire, "s", lease: "L3", max: 2);
        var d = Ask(4, CoordinationOp.SemaphoreAcquire, "s", lease: "L4", max: 2);
        Answers().ShouldBe([$"c1#{a} ok", $"c2#{b} ok"]);
        _state.LeasesHeld("s").ShouldBe(2);

        _state.ClientLeft(1); // a holder dies: its lease goes to the first waiter
        Answers().ShouldBe([$"c3#{c} ok"]);
        var release = Ask(2, CoordinationOp.SemaphoreRelease, "s", lease: "L2");
        Answers().ShouldBe([$"c2#{release} ok", $"c4#{d} ok"]);
        var wrong = Ask(2, CoordinationOp.SemaphoreRelease, "s", lease: "L3");
        var twice = Ask(2, CoordinationOp.SemaphoreRelease, "s", lease: "L2");
        var mismatch = Ask(5, CoordinationOp.SemaphoreAcquire, "s", lease: "L5", max: 3);
        var answers = Answers();
        answers[0].ShouldContain("held by another client");
        answers[1].ShouldContain("not held");
        answers[2].ShouldContain("has 2 leases, not 3");
        _state.LeasesHeld("s").ShouldBe(2);
    }

    [Fact]
    public void A_client_that_leaves_gets_no_answers_for_what_it_waited_on()
    {
        Ask(1, CoordinationOp.QueueGet, "q");
        _state.ClientLeft(1);
        _state.WaitingCount.ShouldBe(0);
        Ask(2, CoordinationOp.QueuePut, "q", Value("x"));
        Answers().Length.ShouldBe(1); // only the put's own answer: the item stays
        var get = Ask(3, CoordinationOp.QueueGet, "q");
        Answers().ShouldBe([$"c3#{get} ok x"]);
    }

    [Fact]
    public void Datasets_are_published_once_per_name_unless_overwritten_and_their_keys_held()
    {
        _state.Request(new CoordinationAsk(1, 1, CoordinationOp.DatasetPublish, "d") { Keys = ["k1", "k2"], TypeNames = ["T", "T"] }, 0);
        _state.Request(new CoordinationAsk(1, 2, CoordinationOp.DatasetPublish, "d") { Keys = ["k3"], TypeNames = ["T"] }, 0);
        _state.Request(new CoordinationAsk(1, 3, CoordinationOp.DatasetPublish, "d") { Keys = ["k3"], TypeNames = ["T"], Overwrite = true }, 0);
        var answers = _state.TakeAnswers();
        answers.Select(a => a.Ok).ShouldBe([true, false, true]);
        answers[1].Error.ShouldContain("published already");
        _state.TakeDatasetChanges().Select(c => $"{c.Name} {c.Publish} {string.Join(",", c.Keys)}").ShouldBe(["d True k1,k2", "d True k3"]);
        _state.Request(new CoordinationAsk(2, 4, CoordinationOp.DatasetGet, "d"), 0);
        _state.TakeAnswers().Single().Keys.ShouldBe(["k3"]);
        _state.Request(new CoordinationAsk(2, 5, CoordinationOp.DatasetUnpublish, "d"), 0);
        _state.Request(new CoordinationAsk(2, 6, CoordinationOp.DatasetGet, "d"), 0);
        _state.TakeAnswers().Select(a => a.Ok).ShouldBe([true, false]);
        _state.TakeDatasetChanges().Single().Publish.ShouldBeFalse();
    }

    [Fact]
    public void Bad_requests_get_a_clear_error()
    {
        Ask(1, CoordinationOp.VariableSet, "x"); // no value
        Ask(1, CoordinationOp.QueueGet, "");
        Ask(1, CoordinationOp.SemaphoreAcquire, "s", lease: "", max: 1);
        Ask(1, CoordinationOp.SemaphoreAcquire, "s", lease: "L", max: 0);
        var errors = _state.TakeAnswers().Select(a => a.Error).ToArray();
        errors.ShouldBe(["Variable.Set needs a value", "a coordination primitive needs a name", "a semaphore acquisition needs a lease id", "a semaphore needs at least one lease"]);
        _state.WaitingCount.ShouldBe(0);
    }
}
