using System.Runtime.CompilerServices;
using Shoal.ClientSide;

namespace Shoal.Tests.ClientSide;

public sealed class ClientKeyEntryTests
{
    private static ClientKeyEntry NewEntry() =>
        new((Shoal.Client)RuntimeHelpers.GetUninitializedObject(typeof(Shoal.Client)), "inc-1", typeof(int));

    [Fact]
    public void A_lost_result_is_pending_again_until_it_is_recomputed()
    {
        var entry = NewEntry();
        entry.SetFinished(["tcp://a:1"]);
        var first = entry.Done;
        first.IsCompleted.ShouldBeTrue();

        entry.SetLost();

        entry.Status.ShouldBe(FutureStatus.Pending);
        entry.Done.IsCompleted.ShouldBeFalse();
        entry.SetFinished(["tcp://b:2"]);
        entry.Done.IsCompleted.ShouldBeTrue();
        entry.Workers.ShouldBe(["tcp://b:2"]);
    }

    [Fact]
    public void Marking_stale_holders_lost_does_not_undo_a_newer_result()
    {
        var entry = NewEntry();
        entry.SetFinished(["tcp://a:1"]);
        var stale = entry.Workers;
        entry.SetLost();
        entry.SetFinished(["tcp://b:2"]);

        entry.MarkLost(stale);

        entry.Status.ShouldBe(FutureStatus.Finished);
        entry.Done.IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public void Failed_and_cancelled_keys_rethrow_when_awaited()
    {
        var erred = NewEntry();
        erred.SetErred(new Shoal.Protocol.Messages.RemoteError { TypeName = "System.InvalidOperationException", Message = "boom", StackTrace = "at X", Worker = "w" }, null);
        var error = Should.Throw<TaskException>(erred.ThrowIfNotFinished);
        error.RemoteTypeName.ShouldBe("System.InvalidOperationException");
        error.RemoteMessage.ShouldBe("boom");

        var cancelled = NewEntry();
        cancelled.SetCancelled("cancelled");
        Should.Throw<OperationCanceledException>(cancelled.ThrowIfNotFinished);
        cancelled.Cancelled.IsCompleted.ShouldBeTrue();
    }
}
