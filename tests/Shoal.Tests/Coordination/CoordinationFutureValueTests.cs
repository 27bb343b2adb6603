using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Scheduling;
using static Shoal.Tests.Scheduling.SchedulerHarness;

namespace Shoal.Tests.Coordination;

/// <summary>Futures as values of variables and queue items, in the pure states: which values leave, which keys are held.</summary>
public class CoordinationFutureValueTests
{
    private readonly CoordinationState _state = new();
    private ulong _nextId;

    private static CoordinationValue FutureValue(string key, int holder) => new([], "System.Int32") { FutureKey = key, Holder = holder };

    private ulong Ask(int client, CoordinationOp op, string name, CoordinationValue? value = null)
    {
        var id = ++_nextId;
        _state.Request(new CoordinationAsk(client, id, op, name) { Value = value }, 0);
        return id;
    }

    [Fact]
    public void A_variable_set_over_or_deleted_drops_its_old_value_and_a_get_leaves_it_in_place()
    {
        Ask(1, CoordinationOp.VariableSet, "v", FutureValue("a-1", -10));
        _state.TakeDroppedValues().ShouldBeEmpty();
        Ask(2, CoordinationOp.VariableGet, "v");
        var got = _state.TakeAnswers().Last();
        got.Value!.FutureKey.ShouldBe("a-1");
        got.HandedOver.ShouldBeFalse("the variable keeps its value");

        Ask(1, CoordinationOp.VariableSet, "v", FutureValue("b-1", -11));
        _state.TakeDroppedValues().Select(v => (v.FutureKey, v.Holder)).ShouldBe([("a-1", -10)]);
        Ask(1, CoordinationOp.VariableDelete, "v");
        _state.TakeDroppedValues().Select(v => v.FutureKey).ShouldBe(["b-1"]);
        Ask(1, CoordinationOp.VariableDelete, "v");
        _state.TakeDroppedValues().ShouldBeEmpty();
    }

    [Fact]
    public void A_queue_item_is_handed_over_with_its_answer_whether_queued_first_or_given_to_a_waiter()
    {
        Ask(1, CoordinationOp.QueuePut, "q", FutureValue("a-1", -10));
        Ask(2, CoordinationOp.QueueGet, "q");
        var waiting = Ask(3, CoordinationOp.QueueGet, "q");
        Ask(1, CoordinationOp.QueuePut, "q", FutureValue("b-1", -11));
        var handed = _state.TakeAnswers().Where(a => a.Value is not null).ToArray();
        handed.Select(a => (a.Client, a.Value!.FutureKey, a.HandedOver)).ShouldBe([(2, "a-1", true), (3, "b-1", true)]);
        handed[1].RequestId.ShouldBe(waiting);
        _state.TakeDroppedValues().ShouldBeEmpty("a taken item is the getter's, not dropped");
    }

    [Fact]
    public void A_held_key_outlives_its_clients_release_and_is_forgotten_once_let_go()
    {
        var h = new SchedulerHarness();
        h.AddWorker(0);
        h.Submit(Task("a-1")).ShouldBe(["Compute w0 a-1"]);
        h.Finish(0, "a-1").ShouldBe(["KeyInMemory c1 a-1"]);
        var holder = h.State.NewKeyHolder();
        h.State.HoldKey(holder, "a-1", h.Now).ShouldBeTrue();
        h.State.HoldKey(h.State.NewKeyHolder(), "unknown-1", h.Now).ShouldBeFalse();

        h.Release(1, "a-1").ShouldBeEmpty();
        h.State.StateOf("a-1").ShouldBe(TaskState.Memory, "the variable's hold keeps it");
        h.State.LetGoKey(holder, "a-1", h.Now);
        h.Collect().ShouldBe(["FreeKeys w0 a-1"]);
        h.State.StateOf("a-1").ShouldBeNull();
        h.State.Validate();
    }
}
