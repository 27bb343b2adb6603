namespace Shoal.Cli;

/// <summary>Where a command writes and what it runs; one per invocation.</summary>
internal sealed record CliContext(TextWriter Stdout, TextWriter Stderr, HostEntryPoints Hosts)
{
    /// <summary>The environment variables the command's configuration reads (SHOAL_…); null: the process's.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Where the hosts it starts find credentials and write token files: this user's unless a test passes its own.</summary>
    public Shoal.Security.LocalCredentials Credentials { get; init; } = Shoal.Security.LocalCredentials.ForThisUser;

    /// <summary>
    /// Runs a host and turns how it ended into an exit code: its own code when it returns,
    /// 0 when it stopped because we asked it to (Ctrl-C / SIGTERM), 2 (a usage error) when it
    /// refused to listen in clear off loopback, 1 with one line on stderr
    /// when it failed (plus the stack trace when SHOAL_CLI_STACKTRACE=1).
    /// </summary>
    public async Task<int> RunHostAsync(string commandName, Func<Task<int>> run, CancellationToken cancellationToken)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        catch (Shoal.Security.InsecureListenerException ex)
        {
            // A listener in clear off loopback: the flags are what is wrong (it says which to pass), as with any usage error.
            await Stderr.WriteLineAsync($"{commandName}: {OneLine(ex.Message)}").ConfigureAwait(false);
            return ShoalCommand.UsageError;
        }
        catch (Exception ex)
        {
            await Stderr.WriteLineAsync($"{commandName}: {OneLine(ex.Message)}").ConfigureAwait(false);
            if (System.Environment.GetEnvironmentVariable("SHOAL_CLI_STACKTRACE") == "1")
            {
                // For whoever debugs a host: the one-line rule hides where it failed.
                await Stderr.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
            }

            return 1;
        }
    }

    /// <summary>Folds a message onto one line so that every error is a single stderr line.</summary>
    public static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
