using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Shoal.Kubernetes.Operator;

/// <summary>
/// List-then-watch of one kind of object, as client-go's reflector: a list gives the objects and a
/// resource version, the watch resumes from the last version seen (bookmarks included), a watch
/// that ends is reopened from there, 410 Gone (the history was compacted) means a fresh list, and
/// any other failure waits a growing back-off. Every object seen is handed to <c>changed</c>; the
/// reconcilers read the world afresh, so this only says what to look at.
/// </summary>
internal sealed partial class KubeWatchLoop<T>(
    string what,
    Func<CancellationToken, Task<(IEnumerable<T> Items, string? ResourceVersion)>> list,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch,
    Action<T> changed,
    Action listed,
    ILogger logger)
    where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly Backoff _backoff = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));
    private int _lists;

    /// <summary>Full lists made so far (the first, and one after each 410 Gone or failed list).</summary>
    public int Lists => Volatile.Read(ref _lists);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? version = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (version is null)
                {
                    var (items, listedAt) = await list(cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _lists);
                    foreach (var item in items) changed(item);
                    listed();
                    version = listedAt ?? "0";
                }

                Exception? error = null;
                int events = 0;
                await foreach (var (type, o) in watch(version, e => error = e, cancellationToken).ConfigureAwait(false))
                {
                    if (o?.Metadata?.ResourceVersion is { Length: > 0 } seen) version = seen;
                    events++;
                    if (type != WatchEventType.Bookmark && o is not null) changed(o);
                    _backoff.Reset();
                }

                if (IsGone(error))
                {
                    LogGone(logger, what, version);
                    version = null;
                    continue;
                }

                if (error is not null) throw error;
                // A watch that ended at once, twice in a row, is a server refusing quietly: slow down.
                if (events == 0) await Task.Delay(_backoff.Next(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsGone(e))
            {
                LogGone(logger, what, version);
                version = null;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var wait = _backoff.Next();
                LogFailed(logger, what, wait.TotalMilliseconds, e);
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsGone(Exception? e) =>
        e is KubernetesException { Status.Code: 410 } or HttpOperationException { Response.StatusCode: HttpStatusCode.Gone };

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of {What} expired at resource version {Version} (410 Gone): listing again")]
    private static partial void LogGone(ILogger logger, string what, string? version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch of {What} failed; retrying in {DelayMs:0} ms")]
    private static partial void LogFailed(ILogger logger, string what, double delayMs, Exception exception);
}
