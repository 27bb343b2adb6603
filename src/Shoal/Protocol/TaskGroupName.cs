namespace Shoal.Protocol;

/// <summary>
/// The task group of a key: its prefix before the last '-' (<c>inc-1f3a…</c> is in group
/// <c>inc</c>), as Dask groups keys. The scheduler, the workers' meters and the client's progress
/// all group by this rule (SchedulerState.GroupOf applies the same one on the scheduler's books).
/// </summary>
internal static class TaskGroupName
{
    public static string Of(string key) => key.Length == 0 ? key : Span(key).Length == key.Length ? key : Span(key).ToString();

    /// <summary>The group's name as a slice of the key (no string made).</summary>
    public static ReadOnlySpan<char> Span(string key)
    {
        int dash = key.LastIndexOf('-');
        return dash > 0 ? key.AsSpan(0, dash) : key.AsSpan();
    }
}
