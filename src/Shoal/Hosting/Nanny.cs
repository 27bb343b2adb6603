using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Shoal.Platform;

namespace Shoal.Hosting;

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
    /// A spare starts this long after a worker (the first one, or a replacement), not at once: on a
    /// small machine its start-up would take the CPU from the worker registering and from the
    /// surviving workers (it doubled a fresh worker's exec-to-registered time: bench/RESULTS.md,
    /// worker-start). The nanny's own preparations for a death (the warm report, the sweep of
    /// stale journals) wait as long, for the same reason.
    /// </summary>
    private static readonly TimeSpan SpareDelay = TimeSpan.FromSeconds(1);
    private readonly NannySpec _spec;
    private readonly ILogger _logger;
    private readonly TextWriter _stdout;
    // Given to each worker this nanny starts (kept across restarts), and carried by its reports.
    private readonly string _nannyId = NannyIdentity.NewId();

    private readonly NannyReporter _reporter;
    private NannyJournal? _journal;

    public Nanny(NannySpec spec, ILogger logger, TextWriter stdout)
    {
        _spec = spec;
        _logger = logger;
        _stdout = stdout;
        _reporter = new NannyReporter(spec, _nannyId, logger);
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
        // The worker first: what only prepares for its death comes after it registered (PrepareAsync).
        _journal = NannyJournal.Create(_nannyId, _spec.Name, _logger);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var process = TakeSpare(ref spare) ?? StartWorker(standby: false);
                Starts++;
                if (Starts == 1) _ = PrepareAsync(cancellationToken);
                // The next one warms up while this one works: a restart then costs no process start.
                if (_spec.Standby && spare is null) spare = StartSpareAsync(SpareDelay, cancellationToken);
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
                    await NannyWorkerProcess.StopAsync(left).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Stopped before it was started, or it could not start: nothing to stop.
                }
            }

            _journal?.Remove();
        }
    }

    private TimeSpan _backoff;

    /// <summary>Whether the current worker's death was reported already (before a memory kill).</summary>
    private bool _reported;

    /// <summary>After the first worker had time to register: the warm report path, and the sweep of journals of nannies killed before.</summary>
    private async Task PrepareAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(SpareDelay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        NannyJournal.SweepStale(_spec.Name, _logger);
        await _reporter.WarmUpAsync(cancellationToken).ConfigureAwait(false);
    }

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
            // (a warm report is a few milliseconds: see NannyReporter.WarmUpAsync).
            // (Not for a restart: the scheduler closed that worker itself and knows why.)
            if (!_reported && process.ExitCode != HostExitCodes.RestartRequested) await _reporter.ReportAsync(cause.Value.Text, process.Id, cancellationToken).ConfigureAwait(false);
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
                    return WorkerExit.Describe(process.ExitCode);
                }

                cancellationToken.ThrowIfCancellationRequested();
                var rss = ResidentBytes(process);
                if (rss > terminate)
                {
                    var text = $"memory: {rss / 1e6:0} MB passed the terminate threshold of {terminate / 1e6:0} MB ({_spec.TerminateFraction:P0} of {limit / 1e6:0} MB); restarted by its nanny";
                    // Said first, so the scheduler charges the task with the cause, then done.
                    await _reporter.ReportAsync(text, process.Id, cancellationToken).ConfigureAwait(false);
                    _reported = true;
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                    return (false, text);
                }
            }
        }
        catch (OperationCanceledException)
        {
            await NannyWorkerProcess.StopAsync(process).ConfigureAwait(false);
            return null;
        }
    }

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

    private Process StartWorker(bool standby) => NannyWorkerProcess.Start(_spec, _nannyId, _journal?.Path, standby);
}
