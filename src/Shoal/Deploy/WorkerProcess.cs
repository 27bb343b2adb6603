using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Shoal.Deploy;

/// <summary>What a worker child process is started with.</summary>
internal sealed record WorkerProcessSpec(string SchedulerAddress, string Name, int NThreads, long MemoryLimit,
    IReadOnlyDictionary<string, double>? Resources, string Host, string? WorkerCommand)
{
    /// <summary>The worker's credentials (a secret): passed on its standard input pipe, never in its environment or on its command line.</summary>
    public string? Credentials { get; init; }

    /// <summary>Never prints the credentials.</summary>
    public override string ToString() => $"worker {Name} of {SchedulerAddress}";
    /// <summary>More command-line arguments, appended last.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>The worker's spill directory (null: its default).</summary>
    public string? SpillDirectory { get; init; }

    /// <summary>Run the worker under a nanny (the child is the nanny; the worker is its child).</summary>
    public bool Nanny { get; init; }
}

/// <summary>
/// A worker running as a child process of this one (<c>shoal worker</c>). Its standard input is a
/// pipe from us: when this process dies, however it dies, the pipe closes and the child exits
/// (the worker host watches for that end-of-file), so no orphan outlives its parent.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    /// <summary>Set in the child's environment: exit when standard input closes.</summary>
    public const string ParentWatchVariable = "SHOAL_EXIT_WITH_PARENT";

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly Queue<string> _lastLines = new();

    private WorkerProcess(Process process, string name, ILogger logger)
    {
        _process = process;
        Name = name;
        _logger = logger;
    }

    public string Name { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.HasExited ? _process.ExitCode : 0;

    /// <summary>The last lines the process printed (for error messages).</summary>
    public string LastOutput
    {
        get { lock (_lastLines) return string.Join(Environment.NewLine, _lastLines); }
    }

    public static WorkerProcess Start(WorkerProcessSpec spec, ILogger logger)
    {
        var (file, prefix) = WorkerCommandLocator.Resolve(spec.WorkerCommand);
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in prefix) info.ArgumentList.Add(arg);
        info.ArgumentList.Add("worker");
        info.ArgumentList.Add(spec.SchedulerAddress);
        // Without a nanny the cluster itself watches its worker processes.
        if (!spec.Nanny) info.ArgumentList.Add("--no-nanny");
        info.ArgumentList.Add("--nthreads");
        info.ArgumentList.Add(spec.NThreads.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--name");
        info.ArgumentList.Add(spec.Name);
        info.ArgumentList.Add("--memory-limit");
        info.ArgumentList.Add(spec.MemoryLimit.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--host");
        info.ArgumentList.Add(spec.Host);
        if (spec.Resources is { Count: > 0 } resources)
        {
            info.ArgumentList.Add("--resources");
            info.ArgumentList.Add(string.Join(',', resources.Select(r => $"{r.Key}={r.Value.ToString(CultureInfo.InvariantCulture)}")));
        }

        if (spec.SpillDirectory is { } spill)
        {
            info.ArgumentList.Add("--local-directory");
            info.ArgumentList.Add(spill);
        }

        foreach (var arg in spec.ExtraArguments) info.ArgumentList.Add(arg);
        info.Environment[ParentWatchVariable] = "1";
        var credentials = spec.Credentials is { Length: > 0 } bundle ? bundle : null;
        Security.ParentPipeCredentials.Announce(info, credentials);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process, spec.Name, logger);
        process.OutputDataReceived += (_, e) => worker.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => worker.OnOutput(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"Could not start the worker process '{file}'.");
        Security.ParentPipeCredentials.Send(process.StandardInput, credentials);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    private void OnOutput(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 20) _lastLines.Dequeue();
        }

        DeployLog.WorkerOutput(_logger, Name, line);
    }

    /// <summary>Asks the worker to exit (closes its input), then kills it if it has not within a few seconds.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ChildProcessStop.StopAsync(_process).ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
        }
    }
}

/// <summary>Finds the <c>shoal</c> worker host: SHOAL_CLI, then Shoal.Cli.dll beside the app, then shoal on the PATH.</summary>
internal static class WorkerCommandLocator
{
    public static (string File, string[] Prefix) Resolve(string? explicitCommand)
    {
        var candidate = explicitCommand ?? Environment.GetEnvironmentVariable("SHOAL_CLI");
        if (string.IsNullOrEmpty(candidate))
        {
            var beside = Path.Combine(AppContext.BaseDirectory, "Shoal.Cli.dll");
            if (File.Exists(beside)) candidate = beside;
        }

        if (!string.IsNullOrEmpty(candidate))
        {
            return candidate.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? (DotnetHost(), [candidate]) : (candidate, []);
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var shoal = Path.Combine(dir, "shoal");
            if (File.Exists(shoal)) return (shoal, []);
        }

        throw new InvalidOperationException(
            "LocalCluster with Processes = true needs the shoal worker host: reference the Shoal.Cli project or package " +
            "(so that Shoal.Cli.dll sits beside your program), install the tool (`dotnet tool install -g Shoal.Cli`), " +
            "or set SHOAL_CLI to the path of Shoal.Cli.dll.");
    }

    /// <summary>The dotnet host running this process, to start the worker with the same runtime.</summary>
    public static string DotnetHost()
    {
        var path = Environment.ProcessPath;
        if (path is not null && Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return path;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) ? host : "dotnet";
    }
}
