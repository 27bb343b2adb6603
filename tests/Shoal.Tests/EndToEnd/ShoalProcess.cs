using System.Diagnostics;
using System.Threading.Channels;

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

/// <summary>
/// A copy of the <c>shoal</c> CLI in a directory of its own, without the test assembly: the
/// processes it starts have never seen the code the tests submit, as the issue asks; that code
/// must travel to them.
/// </summary>
internal static class IsolatedCli
{
    private static readonly Lazy<string> Copy = new(Create);

    /// <summary>The copied Shoal.Cli.dll.</summary>
    public static string Path => Copy.Value;

    private static string Create()
    {
        var source = AppContext.BaseDirectory;
        var target = Directory.CreateTempSubdirectory("shoal-e2e-cli-").FullName;
        foreach (var file in Directory.EnumerateFiles(source))
        {
            var name = System.IO.Path.GetFileName(file);
            if (name.StartsWith("Shoal.Cli.", StringComparison.Ordinal) || name.StartsWith("Prometheus.", StringComparison.Ordinal)
                || name is "Shoal.dll" or "Google.Protobuf.dll" or "System.CommandLine.dll")
            {
                File.Copy(file, System.IO.Path.Combine(target, name));
            }
        }

        File.Exists(System.IO.Path.Combine(target, "Shoal.Tests.dll")).ShouldBeFalse();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(target, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return System.IO.Path.Combine(target, "Shoal.Cli.dll");
    }
}
