using Shoal.Dashboard;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Dashboard;

public sealed class StalledStreamTests
{
    [Fact]
    public async Task A_browser_that_stops_reading_the_event_stream_holds_a_bounded_backlog()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, ThreadsPerWorker = 2, DashboardAddress = "127.0.0.1:0" })
            .WaitAsync(E2E.Timeout);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var feed = cluster.Scheduler.Dashboard!.Feed;
        using var http = DashboardTestSupport.Http(cluster.DashboardLink!);
        // Opened, then never read: the server's writes fill the socket and the response pipe, then wait.
        using var stalled = await http.GetAsync("/api/v1/stream", HttpCompletionOption.ResponseHeadersRead);
        var before = feed.Broadcasts;
        int largest = 0;
        int rounds = 0;
        while (feed.Broadcasts < before + 24)
        {
            var batch = client.Map(static (int x) => x + 1, Enumerable.Range(rounds * 2000, 2000));
            await client.GatherAsync(batch).WaitAsync(E2E.Timeout);
            largest = Math.Max(largest, feed.LargestBacklog);
            rounds++;
        }

        feed.Subscribers.ShouldBe(1);
        largest.ShouldBeLessThanOrEqualTo(DashboardFeed.SubscriberBacklog);
        feed.LargestBacklog.ShouldBeLessThanOrEqualTo(DashboardFeed.SubscriberBacklog);
        // Each update is bounded too, whatever the number of tasks in the interval.
        feed.Last!.Stream.Length.ShouldBeLessThanOrEqualTo(DashboardFeed.MaxBarsPerUpdate);
    }
}
