using System.Net.Http;

namespace Shoal.Bench;

/// <summary>
/// A script's view of the dashboard: one HTTP client in this process reading the server-sent
/// events of <c>/api/v1/stream</c> (an <c>update</c> per interval) until disposed, so the feed
/// aggregates and serialises for a subscriber the whole time, as with a browser on /status.
/// </summary>
internal sealed class WatchingStream : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private long _updates;

    private WatchingStream(Uri stream)
    {
        _reading = Task.Run(() => ReadAsync(stream));
    }

    /// <summary>Updates read so far.</summary>
    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>Starts reading the stream of the dashboard whose /status link is <paramref name="dashboardLink"/>.</summary>
    public static WatchingStream Open(string dashboardLink)
    {
        var stream = new Uri(new Uri(dashboardLink), "/api/v1/stream");
        Console.Error.WriteLine($"throughput: reading {stream}");
        return new WatchingStream(stream);
    }

    private async Task ReadAsync(Uri stream)
    {
        try
        {
            using var response = await _http.GetAsync(stream, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("event: update", StringComparison.Ordinal)) Interlocked.Increment(ref _updates);
            }
            Console.Error.WriteLine("throughput: the dashboard closed its event stream");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"throughput: reading the event stream failed: {e.Message}");
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _reading.Wait();
        Console.Error.WriteLine($"throughput: {Updates} stream updates read");
        _stop.Dispose();
        _http.Dispose();
    }
}
