using Shoal.Protocol;

namespace Shoal.Execution;

internal sealed partial class WorkerServer
{
    /// <summary>
    /// The code sets the scheduler defined on its connection (<c>CodeSetDefinition</c>), which
    /// <c>ComputeTask.code_set</c> names; read and written on the loop only. A reconnection's
    /// scheduler session numbers its sets afresh and defines each before naming it, replacing
    /// whatever the number meant before.
    /// </summary>
    private readonly CodeSetTable _codeSets = new();
}
