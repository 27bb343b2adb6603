using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Shoal.Platform;
using Shoal.Comm.Rpc;
using Shoal.Deploy;
using Shoal.Protocol.Messages;

namespace Shoal.Hosting;

/// <summary>What a nanny runs and watches.</summary>
/// <param name="Options">The worker's options (the nanny passes them on, with <c>--no-nanny</c>).</param>
/// <param name="Name">The worker's name, kept across restarts.</param>
/// <param name="TerminateFraction">Of the memory limit: past it the nanny restarts the worker.</param>
/// <param name="Standby">Keep a spare worker process started ahead, so that a restart is quick.</param>
internal sealed record NannySpec(WorkerHostOptions Options, string Name, double TerminateFraction = 0.95, bool Standby = true);

/// <summary>
/// Runs one worker as a child process and keeps it alive: a worker that dies (a signal, a crash,
/// an exit code other than 0) or whose memory passes the terminate fraction of its limit is
/// restarted under the same name, and the scheduler is told why (WorkerDied), so that tasks it
/// was running are charged with a named cause. A worker that exits with code 0 (closed by the
/// scheduler, retired, past its death timeout) ends the nanny too.
/// </summary>
internal sealed class Nanny
{
    /// <summary>Set in the worker's environment: it runs under a nanny (it says so when it registers).</summary>
    public const string NannyVariable = "SHOAL_NANNY";

    /// <summary>Set in a spare worker's environment: started ahead, it joins when its nanny writes "start".</summary>
    public const string StandbyVariable = "SHOAL_STANDBY";

    private static readonly TimeSpan MemoryPollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// A new spare starts this long after a restart, not at once: on a small machine its start-up
    /// would take the CPU from the replacement registering and from the surviving workers.
    /// </summary>
    private static readonly TimeSpan SpareDelayAfterRestart = TimeSpan.FromSeconds(1);
    private readonly NannySpec _spec;
    private readonly ILogger _logger;
    private readonly TextWriter _stdout;
    // Given to each worker this nanny starts (kept across restarts), and carried by its reports.
    private readonly string _nannyId = NannyIdentity.NewId();

    // The worker's result journal (Execution.ResultJournal): every worker this nanny starts gets the same one,
    // so a replacement takes back the small results its dead predecessor held. Null when it cannot be made.
    private string? _journalDirectory;
    private string? _journalPath;

    public Nanny(NannySpec spec, ILogger logger, TextWriter stdout)
    {
        _spec = spec;
        _logger = logger;
        _stdout = stdout;
    }

    /// <summary>Number of times the worker was started (tests and diagnostics).</summary>
    public int Starts { get; private set; }

    /// <summary>Runs until the worker ends normally, the nanny gives up, or <paramref name="cancellationToken"/>; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var deathTimeout = _spec.Options.DeathTimeout ?? WorkerHostOptions.DefaultDeathTimeout;
        var lastHealthy = Stopwatch.StartNew();
        var backoff = TimeSpan.Zero;
        Task<Process>? spare = null;
        _ = WarmUpReportAsync(cancellationToken);
        CreateJournalDirectory();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var process = TakeSpare(ref spare) ?? StartWorker(standby: false);
                Starts++;
                // The next one warms up while this one works: a restart then costs no process start.
                if (_spec.Standby && spare is null) spare = StartSpareAsync(Starts == 1 ? TimeSpan.Zero : SpareDelayAfterRestart, cancellationToken);
                var code = await SuperviseAsync(process, lastHealthy, deathTimeout, backoff, cancellationToken).ConfigureAwait(false);
                if (code is { } exit) return exit;
                backoff = _backoff;
            }

            return 0;
        }
        finally
        {
            if (spare is not null)
            {
                try
                {
                    using var left = await spare.ConfigureAwait(false);
                    await StopAsync(left).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Stopped before it was started, or it could not start: nothing to stop.
                }
            }

            RemoveJournalDirectory();
        }
    }

    /// <summary>
    /// A directory only this nanny uses (mode 0700), in tmpfs when there is one: the journal is memory
    /// that outlives the worker process, not a disk write.
    /// </summary>
    private void CreateJournalDirectory()
    {
        var parent = NannyJournalDirectories.Parent;
        try
        {
            NannyJournalDirectories.SweepStale(parent); // those of nannies killed before they could remove their own
            var directory = NannyJournalDirectories.Create(parent, _nannyId);
            _journalDirectory = directory;
            _journalPath = Path.Combine(directory, "results.journal");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            NannyLog.NoJournal(_logger, _spec.Name, e.Message); // the worker runs without one: its results die with it
        }
    }

    private void RemoveJournalDirectory()
    {
        if (_journalDirectory is null) return;
        try
        {
            Directory.Delete(_journalDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a worker still closing it.
        }
    }

    private TimeSpan _backoff;

    /// <summary>Whether the current worker's death was reported already (before a memory kill).</summary>
    private bool _reported;

    private async Task<Process> StartSpareAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        return StartWorker(standby: true);
    }

    /// <summary>The spare, told to join; null when there is none ready (not started yet, or died).</summary>
    private static Process? TakeSpare(ref Task<Process>? spare)
    {
        if (spare is { IsFaulted: true }) spare = null; // it could not start: the next restart starts one afresh
        if (spare is not { IsCompletedSuccessfully: true } ready) return null;
        spare = null;
        var taken = ready.Result;
        try
        {
            if (!taken.HasExited)
            {
                taken.StandardInput.WriteLine("start");
                taken.StandardInput.Flush();
                return taken;
            }
        }
        catch (IOException)
        {
            // It died meanwhile.
        }

        taken.Dispose();
        return null;
    }

    /// <summary>Watches one worker until it ends; the exit code to end the nanny with, or null to restart.</summary>
    private async Task<int?> SuperviseAsync(Process process, Stopwatch lastHealthy, TimeSpan deathTimeout, TimeSpan backoff, CancellationToken cancellationToken)
    {
        {
            var running = Stopwatch.StartNew();
            _reported = false;
            var cause = await WatchAsync(process, cancellationToken).ConfigureAwait(false);
            _backoff = TimeSpan.Zero;
            if (cause is null) return 0; // cancelled: the worker was asked to stop
            if (running.Elapsed > TimeSpan.FromSeconds(2)) lastHealthy.Restart();
            if (process.ExitCode == HostExitCodes.SchedulerUnreachable)
            {
                // It waited for its scheduler for the whole death timeout: a new process would only wait again.
                NannyLog.SchedulerUnreachable(_logger, _spec.Name);
                return HostExitCodes.SchedulerUnreachable;
            }

            if (cause.Value.Normal)
            {
                NannyLog.WorkerEnded(_logger, _spec.Name);
                return 0;
            }

            NannyLog.Restarting(_logger, _spec.Name, cause.Value.Text);
            // Reported before the replacement starts, so that the scheduler charges the lost tasks with the cause
            // (a warm report is a few milliseconds: see WarmUpReportAsync).
            if (!_reported) await ReportAsync(cause.Value.Text, process.Id, cancellationToken).ConfigureAwait(false);
            if (lastHealthy.Elapsed > deathTimeout)
            {
                await _stdout.WriteLineAsync($"Nanny of {_spec.Name}: the worker keeps failing ({cause.Value.Text}); giving up after {deathTimeout.TotalSeconds:0.###} s").ConfigureAwait(false);
                return 1;
            }

            // Quick restarts, slower when the worker dies at once again and again.
            _backoff = running.Elapsed > TimeSpan.FromSeconds(2) ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(2000, Math.Max(100, backoff.TotalMilliseconds * 2)));
            if (_backoff > TimeSpan.Zero)
            {
                try { await Task.Delay(_backoff, cancellationToken).ConfigureAwait(false); } catch (OperationCanceledException) { return 0; }
            }

            return null;
        }
    }

    /// <summary>Waits for the worker to die or pass its memory limit; null when cancelled (the worker is stopped then).</summary>
    private async Task<(bool Normal, string Text)?> WatchAsync(Process process, CancellationToken cancellationToken)
    {
        var limit = _spec.Options.GetMemoryLimitPerWorker();
        var terminate = limit > 0 && _spec.TerminateFraction > 0 ? (long)(limit * _spec.TerminateFraction) : 0;
        // The exit is an event (SIGCHLD), not polled: the replacement starts the moment the worker dies.
        var exited = process.WaitForExitAsync(cancellationToken);
        using var timer = new PeriodicTimer(MemoryPollInterval);
        try
        {
            while (true)
            {
                if (terminate <= 0)
                {
                    await exited.ConfigureAwait(false);
                }
                else
                {
                    var tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
                    await Task.WhenAny(exited, tick).ConfigureAwait(false);
                }

                if (exited.IsCompleted)
                {
                    await exited.ConfigureAwait(false); // throws when cancelled
                    return Describe(process.ExitCode);
                }

                cancellationToken.ThrowIfCancellationRequested();
                var rss = ResidentBytes(process);
                if (rss > terminate)
                {
                    var text = $"memory: {rss / 1e6:0} MB passed the terminate threshold of {terminate / 1e6:0} MB ({_spec.TerminateFraction:P0} of {limit / 1e6:0} MB); restarted by its nanny";
                    // Said first, so the scheduler charges the task with the cause, then done.
                    await ReportAsync(text, process.Id, cancellationToken).ConfigureAwait(false);
                    _reported = true;
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                    return (false, text);
                }
            }
        }
        catch (OperationCanceledException)
        {
            await StopAsync(process).ConfigureAwait(false);
            return null;
        }
    }

    private static (bool Normal, string Text) Describe(int code) => code switch
    {
        0 => (true, "exited normally"),
        HostExitCodes.ExitedWhileServing => (false, $"the worker process exited while serving (a task called Environment.Exit?; exit code {code})"),
        > 128 and < 128 + 65 => (false, $"killed by signal {code - 128}{SignalName(code - 128)} (exit code {code})"),
        _ => (false, $"exited with code {code}"),
    };

    private static string SignalName(int signal) => signal switch
    {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    };

    private static long ResidentBytes(Process process)
    {
        if (ProcessMemory.ResidentBytes(process.Id) is { } resident) return resident;
        try
        {
            process.Refresh();
            return process.WorkingSet64;
        }
        catch (InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Runs the report path once at start (connect, handshake, close) so that the code it needs is
    /// compiled before a worker dies: the first real report then takes milliseconds, not a JIT.
    /// </summary>
    private async Task WarmUpReportAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await Dial.ConnectAsync(_spec.Options.SchedulerAddress, Role.Nanny, "nanny-" + _spec.Name,
                new DialOptions { ConnectTimeout = TimeSpan.FromSeconds(5), Security = _spec.Options.Security }, cancellationToken).ConfigureAwait(false);
            connection.Send(new Envelope { CloseClient = new CloseClient() });
            await connection.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            NannyLog.ReportFailed(_logger, _spec.Name, e.Message);
        }
    }

    /// <summary>Tells the scheduler why the worker (process <paramref name="pid"/>) died (best effort: the scheduler may be gone).</summary>
    private async Task ReportAsync(string cause, int pid, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await using var connection = await Dial.ConnectAsync(_spec.Options.SchedulerAddress, Role.Nanny, "nanny-" + _spec.Name,
                new DialOptions { ConnectTimeout = TimeSpan.FromSeconds(5), Security = _spec.Options.Security }, timeout.Token).ConfigureAwait(false);
            connection.Send(new Envelope { WorkerDied = new WorkerDied { Name = _spec.Name, Cause = cause, Pid = pid, NannyId = _nannyId } });
            connection.Send(new Envelope { CloseClient = new CloseClient() });
            await connection.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            NannyLog.ReportFailed(_logger, _spec.Name, e.Message);
        }
    }

    private Process StartWorker(bool standby)
    {
        var o = _spec.Options;
        var (file, prefix) = WorkerCommandLocator.Resolve(Environment.GetEnvironmentVariable("SHOAL_CLI") ?? HostLogging.OwnWorkerCommand());
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in prefix) info.ArgumentList.Add(arg);
        var inv = CultureInfo.InvariantCulture;
        string[] args =
        [
            "worker", o.SchedulerAddress, "--no-nanny", "--name", _spec.Name,
            "--nthreads", o.NThreads.ToString(inv),
            "--memory-limit", o.GetMemoryLimitPerWorker().ToString(inv),
            "--death-timeout", ((long)(o.DeathTimeout ?? WorkerHostOptions.DefaultDeathTimeout).TotalMilliseconds).ToString(inv) + "ms",
        ];
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (flag, value) in new[] { ("--memory-target-fraction", o.MemoryTargetFraction), ("--memory-pause-fraction", o.MemoryPauseFraction) })
        {
            info.ArgumentList.Add(flag);
            info.ArgumentList.Add(value.ToString("R", inv));
        }

        if (o.Resources.Count > 0)
        {
            info.ArgumentList.Add("--resources");
            info.ArgumentList.Add(string.Join(',', o.Resources.Select(r => $"{r.Key}={r.Value.ToString(inv)}")));
        }

        if (o.ListenHost is { } host)
        {
            info.ArgumentList.Add("--host");
            info.ArgumentList.Add(host);
        }

        if (o.LocalDirectory is { } directory)
        {
            info.ArgumentList.Add("--local-directory");
            info.ArgumentList.Add(directory);
        }

        if (o.Insecure) info.ArgumentList.Add("--insecure");
        // The worker's credentials (the nanny's own, from its flags or its parent) go down the stdin pipe.
        var credentials = Security.ParentPipeCredentials.BundleFor(o.Security ?? Security.LocalCredentials.Find(o.SchedulerAddress));
        Security.ParentPipeCredentials.Announce(info, credentials);

        // The worker exits when our pipe on its stdin closes: it never outlives its nanny.
        info.Environment[WorkerProcess.ParentWatchVariable] = "1";
        info.Environment[NannyVariable] = "1";
        if (standby) info.Environment[StandbyVariable] = "1";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start the worker process '{file}'.");
        Security.ParentPipeCredentials.Send(process.StandardInput, credentials);
        NannyIdentity.Send(process.StandardInput, _nannyId, _journalPath);
        return process;
    }

    /// <summary>Asks the worker to stop (closes its stdin), then kills it if it has not within a few seconds.</summary>
    private static async Task StopAsync(Process process)
    {
        try
        {
            if (process.HasExited) return;
            process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
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

internal static partial class NannyLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "Worker {Name} died ({Cause}); restarting it")]
    public static partial void Restarting(ILogger logger, string name, string cause);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Worker {Name} ended normally; its nanny stops")]
    public static partial void WorkerEnded(ILogger logger, string name);

    [LoggerMessage(EventId = 502, Level = LogLevel.Debug, Message = "Nanny of {Name} could not report to the scheduler: {Reason}")]
    public static partial void ReportFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "Worker {Name} could not reach its scheduler within its death timeout; its nanny stops")]
    public static partial void SchedulerUnreachable(ILogger logger, string name);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Nanny of {Name} could not make a result journal ({Reason}); the worker's results die with it")]
    public static partial void NoJournal(ILogger logger, string name, string reason);
}
