using Shoal.Code;

namespace Shoal.Execution;

// What this worker runs, for Client.GetVersionsAsync (asked through a task: WorkerContext.DescribeProcess).
internal sealed partial class WorkerServer
{
    /// <summary>The assemblies of the code sets this worker has loaded for its tasks.</summary>
    internal IReadOnlyList<LoadedCode> LoadedCode() => _code?.Loaded() ?? [];
}
