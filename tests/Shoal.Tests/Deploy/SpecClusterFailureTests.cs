using Shoal.Deploy;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Deploy;

/// <summary>A SpecCluster whose workers cannot start says so at once, with the reason, instead of waiting out its start timeout.</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class SpecClusterFailureTests
{
    [Fact]
    public async Task A_worker_process_that_exits_at_once_fails_the_start_at_once()
    {
        // A worker host that takes its credentials line, then exits with 3 (as one that cannot run would).
        var dir = Directory.CreateTempSubdirectory("shoal-spec-fail-").FullName;
        try
        {
            var host = Path.Join(dir, "shoal");
            await File.WriteAllTextAsync(host, "#!/bin/sh\nread -r line\nexit 3\n");
            NetworkNamespaces.NetnsCluster.Run("chmod", "700", host);
            var error = await E2E.CatchAsync(() => SpecCluster.StartAsync(new SpecClusterOptions
            {
                Launcher = new ProcessWorkerLauncher(workerCommand: host),
                Workers = 2,
                StartTimeout = TimeSpan.FromMinutes(5),
            }).WaitAsync(TimeSpan.FromMinutes(1)));
            error.ShouldBeOfType<InvalidOperationException>().Message.ShouldContain("ended before the cluster reached its size");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class ThrowingLauncher : IWorkerLauncher
    {
        public bool InProcess => true;

        public Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default) =>
            throw new IOException("no room on the host");

        public Task StopAsync(string name, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public WorkerLaunchStatus GetStatus(string name) => WorkerLaunchStatus.Unknown;

        public Task<IReadOnlyList<string>> GetLogsAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<string>>([]);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_launch_that_throws_fails_the_scale_with_the_launchers_reason()
    {
        var error = await E2E.CatchAsync(() => SpecCluster.StartAsync(new SpecClusterOptions
        {
            Launcher = new ThrowingLauncher(),
            Workers = 1,
            StartTimeout = TimeSpan.FromMinutes(5),
        }).WaitAsync(TimeSpan.FromMinutes(1)));
        error.Message.ShouldContain("could not start: no room on the host");
    }
}
