using System.Diagnostics;
using System.Threading.Channels;
using Shoal.Deploy;

namespace Shoal.Tests.EndToEnd;

/// <summary>
/// A real <c>shoal</c> process (<c>dotnet Shoal.Cli.dll ...</c>) started by a test. Its output is
/// collected line by line so that tests can wait for a line (e.g. the scheduler's address);
/// disposing it kills it and everything it started.
/// </summary>
public sealed class ShoalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _all = [];

    private ShoalProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process printed so far (for failure messages).</summary>
    public string Output
    {
        get { lock (_all) return string.Join(Environment.NewLine, _all); }
    }

    /// <summary>
    /// Starts <c>shoal</c> with <paramref name="args"/>. With <paramref name="exitWithParent"/> the
    /// child exits when its standard input closes (when this test process dies), as LocalCluster's
    /// children do.
    /// </summary>
    public static ShoalProcess Start(IEnumerable<string> args, bool exitWithParent = true)
    {
        var info = new ProcessStartInfo(WorkerCommandLocator.DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(IsolatedCli.Path);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        if (exitWithParent) info.Environment[WorkerProcess.ParentWatchVariable] = "1";
        else info.Environment.Remove(WorkerProcess.ParentWatchVariable);
        return Start(info);
    }

    /// <summary>Starts another program (podman, say) whose output a test waits on line by line.</summary>
    public static ShoalProcess StartCommand(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Start(info);
    }

    private static ShoalProcess Start(ProcessStartInfo info)
    {
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var shoal = new ShoalProcess(process);
        process.OutputDataReceived += (_, e) => shoal.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => shoal.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return shoal;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_all) _all.Add(line);
        _lines.Writer.TryWrite(line);
    }

    /// <summary>Waits for the first line that <paramref name="match"/> accepts and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cts.Token);
                if (match(line)) return line;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No matching line within {timeout.TotalSeconds} s (exited: {_process.HasExited}). Output:{Environment.NewLine}{Output}");
        }
    }

    /// <summary>Waits for the scheduler address line ("Scheduler at: tcp://...") and returns the address.</summary>
    public async Task<string> WaitForSchedulerAddressAsync(TimeSpan timeout)
    {
        const string prefix = "Scheduler at: ";
        var line = await WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), timeout);
        return line[prefix.Length..].Trim();
    }

    /// <summary>Waits for the process to exit by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Kills the process (SIGKILL), without touching its children.</summary>
    public void KillAlone() => _process.Kill(entireProcessTree: false);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        finally
        {
            _process.Dispose();
        }
    }
}
