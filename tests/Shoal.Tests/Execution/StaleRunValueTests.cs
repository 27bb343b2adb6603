using Shoal.Execution;

namespace Shoal.Tests.Execution;

/// <summary>
/// After a reconnection a task may run twice at once on one worker: the run the lost connection
/// started, and the run the scheduler asked for again. The stale run's value goes only when the
/// current state has no use for its key; otherwise the new run's value, which may already be
/// stored under the same key, would go with it.
/// </summary>
public class StaleRunValueTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData(WorkerTaskState.Released, true)]
    [InlineData(WorkerTaskState.Error, true)]
    [InlineData(WorkerTaskState.Memory, false)]
    [InlineData(WorkerTaskState.Executing, false)] // run again now: its value may be stored already
    [InlineData(WorkerTaskState.Ready, false)]
    [InlineData(WorkerTaskState.Waiting, false)]
    [InlineData(WorkerTaskState.Flight, false)]
    public void A_stale_runs_value_goes_only_when_the_current_state_has_no_use_for_its_key(object? current, bool goes) =>
        WorkerServer.StaleValueMayGo((WorkerTaskState?)current).ShouldBe(goes); // object: a public test method cannot take the internal enum
}
