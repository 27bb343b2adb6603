using System.Collections.Concurrent;
using System.Globalization;
using Shoal.Execution;

namespace Shoal.Cloud.Tests;

/// <summary>
/// The container runtime of the fake clouds: a task or VM that reaches RUNNING runs its Shoal worker in this
/// process, from the name-value pairs a real one would get (<see cref="WorkerEnvironment"/>, which
/// <see cref="WorkerScript"/> turns into <c>shoal worker</c> flags: checked apart by running the script).
/// </summary>
internal sealed class FakeContainers : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, WorkerServer> _running = new(StringComparer.Ordinal);

    /// <summary>Containers started so far (stopped ones included).</summary>
    public int Started => _started;

    private int _started;

    /// <summary>Starts the worker the pairs describe; false when it could not (it exited, as a container whose process fails).</summary>
    public async Task<bool> StartAsync(string id, IReadOnlyDictionary<string, string> environment)
    {
        try
        {
            var server = await WorkerServer.StartAsync(new WorkerServerOptions
            {
                SchedulerAddress = environment[WorkerEnvironment.SchedulerAddress],
                Name = environment[WorkerEnvironment.WorkerName],
                NThreads = int.Parse(environment[WorkerEnvironment.Threads], CultureInfo.InvariantCulture),
                MemoryLimit = long.Parse(environment[WorkerEnvironment.MemoryLimit], CultureInfo.InvariantCulture),
                DeathTimeout = TimeSpan.FromSeconds(int.Parse(environment[WorkerEnvironment.DeathTimeout].TrimEnd('s'), CultureInfo.InvariantCulture)),
                Security = WorkerEnvironment.Credentials(environment),
            });
            Interlocked.Increment(ref _started);
            if (!_running.TryAdd(id, server)) await server.DisposeAsync();
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    public async Task StopAsync(string id)
    {
        if (_running.TryRemove(id, out var server)) await server.DisposeAsync();
    }

    /// <summary>The workers still running (a client killed leaves them running, as real ones would be).</summary>
    public int Running => _running.Count;

    public async ValueTask DisposeAsync()
    {
        foreach (var id in _running.Keys.ToList()) await StopAsync(id);
    }
}
