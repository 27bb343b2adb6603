namespace Shoal.Tests.EndToEnd;

/// <summary>An in-process LocalCluster and a client on it, started per test (they are cheap).</summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private InProcessCluster(LocalCluster cluster, Client client)
    {
        Cluster = cluster;
        Client = client;
    }

    public LocalCluster Cluster { get; }

    public Client Client { get; }

    public static async Task<InProcessCluster> StartAsync(int workers = 2, int threads = 2, IReadOnlyDictionary<string, double>? resources = null)
    {
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = workers, ThreadsPerWorker = threads, Resources = resources })
            .WaitAsync(E2E.Timeout);
        var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        return new InProcessCluster(cluster, client);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
