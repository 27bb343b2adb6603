namespace Shoal.Flows;

/// <summary>
/// Deployments that <c>shoal flows serve --assembly YOUR.dll</c> finds: each public class with a
/// parameterless constructor implementing this adds its flows, schedules and parameters.
/// </summary>
public interface IFlowDeployments
{
    /// <summary>Adds deployments to the server.</summary>
    /// <param name="server">The server.</param>
    void Configure(FlowServer server);
}
