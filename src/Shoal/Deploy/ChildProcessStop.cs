using System.Diagnostics;

namespace Shoal.Deploy;

/// <summary>How a parent stops a Shoal child process it started with a stdin pipe (workers watch that pipe).</summary>
internal static class ChildProcessStop
{
    /// <summary>The grace a child gets to exit by itself once its stdin is closed.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>Asks the child to exit (closes its stdin), then kills its process tree if it has not within <see cref="Grace"/>.</summary>
    public static async Task StopAsync(Process process)
    {
        try
        {
            if (process.HasExited) return;
            process.StandardInput.Close();
            using var grace = new CancellationTokenSource(Grace);
            try
            {
                await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }
}
