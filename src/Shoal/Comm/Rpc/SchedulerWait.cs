using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Shoal.Protocol.Messages;

namespace Shoal.Comm.Rpc;

/// <summary>
/// Dials a scheduler that may not be up yet (pods and containers start in any order): retries
/// with back-off while the failure is one a scheduler still starting causes (nothing listens, the
/// name does not resolve yet, the connection drops in the handshake, its token file is not written
/// yet), until <c>limit</c>; anything else (a version mismatch, wrong credentials, a peer that is not
/// a scheduler) fails at once. One log line per attempt interval, not one per attempt.
/// </summary>
internal static class SchedulerWait
{
    /// <summary>The longest pause between two attempts: also how late a scheduler that comes up is noticed.</summary>
    public static TimeSpan MaxBackoff { get; } = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Dials <paramref name="address"/> until it answers. <paramref name="limit"/>: give up after this
    /// long (null: never; zero or less: a single attempt). <paramref name="dialOptions"/> is asked
    /// anew before each attempt, so that credentials found on disk meanwhile are used.
    /// </summary>
    /// <exception cref="Shoal.SchedulerUnreachableException">Past the limit; carries the last failure.</exception>
    public static Task<IConnection> ConnectAsync(string address, Role role, string name, Func<DialOptions> dialOptions,
        bool credentialsGiven, TimeSpan? limit, ILogger logger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        return RetryAsync(address, attempt =>
        {
            var options = dialOptions();
            if (limit is { } total && total > TimeSpan.Zero)
            {
                // No attempt may outlast what is left of the limit.
                var left = total - clock.Elapsed;
                if (left < options.ConnectTimeout) options = options with { ConnectTimeout = left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1) };
            }

            return Dial.ConnectAsync(address, role, name, options, attempt);
        }, e => IsStartingUp(e, credentialsGiven), limit, logger, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, waiting with back-off after each failure that
    /// <paramref name="isStartingUp"/> accepts, until <paramref name="limit"/> (null: never; zero or
    /// less: a single attempt, whose error is thrown as it is); any other failure is thrown at once.
    /// </summary>
    /// <exception cref="Shoal.SchedulerUnreachableException">Past the limit; carries the last failure.</exception>
    public static async Task<T> RetryAsync<T>(string address, Func<CancellationToken, Task<T>> attempt, Func<Exception, bool> isStartingUp,
        TimeSpan? limit, ILogger logger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var backoff = FirstBackoff;
        var lastLog = TimeSpan.MinValue;
        for (var attempts = 1; ; attempts++)
        {
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (isStartingUp(e) && !cancellationToken.IsCancellationRequested)
            {
                var elapsed = clock.Elapsed;
                if (limit is { } giveUpAfter && giveUpAfter <= TimeSpan.Zero) throw; // a single attempt was asked for: the error as it is
                if (limit is { } total && elapsed + backoff >= total) throw new Shoal.SchedulerUnreachableException(address, total, attempts, e);
                if (lastLog == TimeSpan.MinValue || elapsed - lastLog >= MaxBackoff)
                {
                    lastLog = elapsed;
                    SchedulerWaitLog.Waiting(logger, address, OneLine(e.Message), attempts, elapsed.TotalSeconds,
                        limit is { } l ? $"gives up after {l.TotalSeconds:0.###} s" : "waits for as long as it takes");
                }

                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="e"/> is what a scheduler that is not up yet causes. A refused
    /// handshake counts only for the authentication method and only when no credentials were given:
    /// a scheduler that just started may not have written its token file yet.
    /// </summary>
    internal static bool IsStartingUp(Exception e, bool credentialsGiven) => e switch
    {
        Protocol.HandshakeRefusedException refused => !credentialsGiven
            && refused.Refusal.Reason.StartsWith("authentication method", StringComparison.Ordinal),
        Protocol.ProtocolException => false, // something that is not a scheduler, or one of another version
        SocketException or TimeoutException or IOException => true,
        _ => false,
    };

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

internal static partial class SchedulerWaitLog
{
    [LoggerMessage(EventId = 120, Level = LogLevel.Information,
        Message = "Waiting for the scheduler at {Address}: {Reason} (attempt {Attempt}, {Seconds:0.0} s so far; {Limit})")]
    public static partial void Waiting(ILogger logger, string address, string reason, int attempt, double seconds, string limit);
}
