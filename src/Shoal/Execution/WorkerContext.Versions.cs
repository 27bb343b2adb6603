using System.Runtime.InteropServices;

namespace Shoal;

// The process a task runs in, described for Client.GetVersionsAsync.
public static partial class WorkerContext
{
    /// <summary>
    /// The .NET runtime and operating system of this process, then one line per assembly of shipped code its worker has
    /// loaded (<see cref="Code.LoadedCode.ToLine"/>), newline-separated: the answer of the task <c>GetVersionsAsync</c> runs
    /// on each worker.
    /// </summary>
    internal static string DescribeProcess()
    {
        var lines = new List<string> { RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription };
        if (CurrentRun.Value?.Worker is { } worker) lines.AddRange(worker.LoadedCode().Select(c => c.ToLine()));
        return string.Join('\n', lines);
    }
}
