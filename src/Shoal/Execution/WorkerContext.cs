namespace Shoal;

/// <summary>
/// What a running task can learn about the worker that runs it. Outside a task (on the client,
/// or on a thread the task did not start) its members are null.
/// </summary>
public static partial class WorkerContext
{
    private static readonly AsyncLocal<string?> CurrentName = new();

    /// <summary>The name of the worker running the current task, or null outside a task.</summary>
    public static string? Name => CurrentName.Value;

    /// <summary>Set by the worker server on the task's own execution flow, before it runs user code.</summary>
    internal static void Enter(string name) => CurrentName.Value = name;
}
