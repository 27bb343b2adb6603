namespace Shoal.Scheduling;

/// <summary>What the server must do for a <see cref="SchedulerCommand"/>.</summary>
internal enum SchedulerCommandKind : byte
{
    /// <summary>Target = worker: run Task (run spec, dependencies and their holders via the lookups).</summary>
    Compute,
    /// <summary>Target = worker: release Task (cancel it if running, drop its data).</summary>
    FreeKeys,
    /// <summary>Target = victim worker: give Task back if it has not started; answer with StealResponse.</summary>
    StealRequest,
    /// <summary>Target = client: Task's result is in memory.</summary>
    KeyInMemory,
    /// <summary>Target = client: Task failed (see <see cref="SchedulerState.ErrorOf"/>).</summary>
    KeyErred,
    /// <summary>Target = client: Task was cancelled.</summary>
    KeyCancelled,
    /// <summary>Target = client: Task's result was lost and is being recomputed (informational).</summary>
    KeyLost,
    /// <summary>Target = client: Task was forgotten by a restart of the cluster (<see cref="SchedulerState.ForgetAllTasks"/>).</summary>
    KeyRestarted,
    /// <summary>Target = client: put Task's result, which it holds, back on worker <see cref="SchedulerState.RestoreTargetOf"/>; answered by <see cref="SchedulerState.RestoreFinished"/>.</summary>
    RestoreKeys,
}

/// <summary>One instruction for the server. Task ids stay valid for the lookups until <see cref="SchedulerState.ClearCommands"/>.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Target">Worker or client id, depending on <paramref name="Kind"/>.</param>
/// <param name="Task">Task id (see <see cref="SchedulerState.KeyOf"/>).</param>
internal readonly record struct SchedulerCommand(SchedulerCommandKind Kind, int Target, int Task);
