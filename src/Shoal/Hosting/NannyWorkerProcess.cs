using System.Diagnostics;
using System.Globalization;
using Shoal.Deploy;

namespace Shoal.Hosting;

/// <summary>Starts and stops the worker processes of a nanny: the command line from its options, the hand-over on the pipe.</summary>
internal static class NannyWorkerProcess
{
    /// <summary>
    /// Starts <c>shoal worker --no-nanny</c> with the nanny's options; credentials, the nanny's id and
    /// the journal path go down its stdin pipe. A <paramref name="standby"/> worker waits for "start".
    /// </summary>
    public static Process Start(NannySpec spec, string nannyId, string? journalPath, bool standby)
    {
        var o = spec.Options;
        var (file, prefix) = WorkerCommandLocator.Resolve(Environment.GetEnvironmentVariable("SHOAL_CLI") ?? HostLogging.OwnWorkerCommand());
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in prefix) info.ArgumentList.Add(arg);
        foreach (var arg in Arguments(spec)) info.ArgumentList.Add(arg);
        // The worker's credentials (the nanny's own, from its flags or its parent) go down the stdin pipe.
        var credentials = Security.ParentPipeCredentials.BundleFor(o.Security ?? o.Credentials.Find(o.SchedulerAddress));
        Security.ParentPipeCredentials.Announce(info, credentials);

        // The worker exits when our pipe on its stdin closes: it never outlives its nanny.
        info.Environment[WorkerProcess.ParentWatchVariable] = "1";
        info.Environment[Nanny.NannyVariable] = "1";
        if (standby) info.Environment[Nanny.StandbyVariable] = "1";
        Platform.StartupTrace.Mark(standby ? "nanny-spawn-spare" : "nanny-spawn");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start the worker process '{file}'.");
        Security.ParentPipeCredentials.Send(process.StandardInput, credentials);
        NannyIdentity.Send(process.StandardInput, nannyId, journalPath);
        return process;
    }

    /// <summary>The worker command's arguments (after the command itself).</summary>
    private static List<string> Arguments(NannySpec spec)
    {
        var o = spec.Options;
        var inv = CultureInfo.InvariantCulture;
        List<string> args =
        [
            "worker", o.SchedulerAddress, "--no-nanny", "--name", spec.Name,
            "--nthreads", o.NThreads.ToString(inv),
            "--memory-limit", o.GetMemoryLimitPerWorker().ToString(inv),
            "--death-timeout", ((long)(o.DeathTimeout ?? WorkerHostOptions.DefaultDeathTimeout).TotalMilliseconds).ToString(inv) + "ms",
            "--memory-target-fraction", o.MemoryTargetFraction.ToString("R", inv),
            "--memory-pause-fraction", o.MemoryPauseFraction.ToString("R", inv),
        ];
        if (o.Resources.Count > 0) args.AddRange(["--resources", string.Join(',', o.Resources.Select(r => $"{r.Key}={r.Value.ToString(inv)}"))]);
        if (o.ListenHost is { } host) args.AddRange(["--host", host]);
        if (o.LocalDirectory is { } directory) args.AddRange(["--local-directory", directory]);
        if (o.Insecure) args.Add("--insecure");
        args.AddRange(WorkerHostOptions.ObservabilityArguments(o));
        return args;
    }

    /// <summary>Asks the worker to stop (closes its stdin), then kills it if it has not within a few seconds.</summary>
    public static Task StopAsync(Process process) => ChildProcessStop.StopAsync(process);
}
