namespace Shoal.Tests.ClientApi;

/// <summary>Submission options the client API tests share.</summary>
internal static class Pending
{
    /// <summary>A task that no worker may run: it stays pending (no-worker) holding no thread, until cancelled or released.</summary>
    public static readonly SubmitOptions NowhereToRun = new() { Workers = ["no-such-worker"], Pure = false };
}
