namespace Shoal.Scheduling;

internal sealed partial class SchedulerServer
{
    /// <summary>Tasks assigned ahead of time whose input then finished on their worker (see SchedulerState.AheadOfTime.cs;
    /// read from any thread for tests and diagnostics: a counter the loop only increments).</summary>
    internal long AheadLanded => _state.AheadLanded;

    /// <summary>Tasks assigned ahead of time so far.</summary>
    internal long AheadAssigned => _state.AheadAssigned;
}
