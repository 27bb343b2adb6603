using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Shoal.Deploy;

/// <summary>
/// A shoal process on another host, run as a child <c>ssh</c> process of this one. Its credentials
/// go as the first line on the channel's standard input; the channel stays open for as long as the
/// process should run. When it closes (this process disposes it, dies however it dies, or the
/// connection drops) the remote shoal reads end-of-file and exits: nothing is left on the host.
/// </summary>
/// <remarks>
/// The system ssh client rather than SSH.NET (which the mirror serves): ssh checks host keys
/// against the user's known_hosts (hashed entries, @cert-authority, @revoked), uses the agent and
/// every key type, jump hosts and the user's ~/.ssh/config, as users already set them up; SSH.NET
/// has no agent, no ProxyJump and no known_hosts checking of its own, each of which we would have
/// to write. And a child process that dies with us closes the connection by itself.
/// </remarks>
internal sealed class SshProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly Queue<string> _lastLines = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private SshProcess(Process process, string name, string host, SshOptions options, ILogger logger)
    {
        _process = process;
        Name = name;
        Host = host;
        Options = options;
        _logger = logger;
    }

    /// <summary>What runs there (a worker's name, or "scheduler"): log lines carry it.</summary>
    public string Name { get; }

    public string Host { get; }

    public SshOptions Options { get; }

    /// <summary>Completes with ssh's exit code when the session ends.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>True once disposal began: an end after that was asked for.</summary>
    public bool Stopping => Volatile.Read(ref _disposed) != 0;

    /// <summary>The last lines ssh and the remote process printed.</summary>
    public IReadOnlyList<string> LastLines
    {
        get { lock (_lastLines) return [.. _lastLines]; }
    }

    /// <summary>Starts <c>ssh HOST sh -c '... exec shoal ARGS'</c>, then writes <paramref name="credentials"/> (a bundle, or null) on its input.</summary>
    public static SshProcess Start(SshOptions options, string host, string name, IReadOnlyList<string> shoalArguments, string? credentials, ILogger logger)
    {
        var remote = SshCommandLine.RemoteCommand(options.RemoteShoal, shoalArguments, credentials is not null);
        var info = new ProcessStartInfo(options.SshCommand)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in SshCommandLine.Arguments(options, host, remote)) info.ArgumentList.Add(arg);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var ssh = new SshProcess(process, name, host, options, logger);
        process.OutputDataReceived += (_, e) => ssh.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => ssh.OnLine(e.Data);
        process.Exited += (_, _) => ssh.OnExited();
        try
        {
            if (!process.Start()) throw new SshException($"could not start '{options.SshCommand}'");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new SshException($"could not start the ssh client '{options.SshCommand}': {e.Message}", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Before the remote side starts: ssh buffers it, and shoal reads it first thing.
            Security.ParentPipeCredentials.Send(process.StandardInput, credentials);
        }
        catch (IOException)
        {
            // ssh already ended: Exited says why.
        }

        return ssh;
    }

    /// <summary>Waits for a line <paramref name="match"/> accepts; throws <see cref="SshException"/> with the reason when the session ends first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, CancellationToken cancellationToken)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lastLines)
        {
            if (_lastLines.FirstOrDefault(match) is { } seen) return seen;
            _waiters.Add((match, found));
        }

        var first = await Task.WhenAny(found.Task, _exited.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (first == found.Task) return await found.Task.ConfigureAwait(false);
        // The output is read to its end before Exited completes; a match in the last lines still counts.
        if (found.Task.IsCompleted) return await found.Task.ConfigureAwait(false);
        throw new SshException(SshFailure.Describe(Host, Options, _exited.Task.Result, LastLines)) { SshFailed = _exited.Task.Result == 255 };
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        List<TaskCompletionSource<string>> matched = [];
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 40) _lastLines.Dequeue();
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Match(line)) continue;
                matched.Add(_waiters[i].Found);
                _waiters.RemoveAt(i);
            }
        }

        foreach (var found in matched) found.TrySetResult(line);
        if (line != SshCommandLine.StartedMarker) DeployLog.WorkerOutput(_logger, Name, line);
    }

    private void OnExited()
    {
        // Exited fires before the redirected output is drained: wait for it, so LastLines holds the reason.
        try
        {
            _process.WaitForExit();
            _exited.TrySetResult(_process.ExitCode);
        }
        catch (InvalidOperationException)
        {
            _exited.TrySetResult(-1);
        }
    }

    /// <summary>
    /// Ends the remote process: closes the channel's input (shoal exits on end-of-file and ssh
    /// with it), and kills ssh if that has not happened within a few seconds (the connection
    /// closing then ends the remote process all the same).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (!_exited.Task.IsCompleted)
            {
                try
                {
                    _process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // ssh is ending already.
                }

                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _exited.Task.WaitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _exited.Task.ConfigureAwait(false);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
