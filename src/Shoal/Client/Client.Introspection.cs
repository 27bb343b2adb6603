using System.Runtime.InteropServices;
using System.Text.Json;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>The keys each worker holds (Dask's <c>has_what</c>), by worker address.</summary>
    /// <param name="cancellationToken">Stops waiting for the scheduler.</param>
    /// <returns>Keys by worker address; a worker holding nothing has an empty list.</returns>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> HasWhatAsync(CancellationToken cancellationToken = default)
    {
        var state = await ClusterStateAsync(cancellationToken).ConfigureAwait(false);
        return state.Workers.ToDictionary(w => w.Address, w => (IReadOnlyList<string>)[.. w.HasWhat.Select(k => k.Key)], StringComparer.Ordinal);
    }

    /// <summary>The keys each worker has been given to run (Dask's <c>processing</c>), by worker address.</summary>
    /// <param name="cancellationToken">Stops waiting for the scheduler.</param>
    /// <returns>Keys by worker address.</returns>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ProcessingAsync(CancellationToken cancellationToken = default)
    {
        var state = await ClusterStateAsync(cancellationToken).ConfigureAwait(false);
        return state.Workers.ToDictionary(w => w.Address, w => (IReadOnlyList<string>)[.. w.Processing], StringComparer.Ordinal);
    }

    /// <summary>The size in bytes of every result in memory on the cluster (Dask's <c>nbytes</c>), by key.</summary>
    /// <param name="cancellationToken">Stops waiting for the scheduler.</param>
    /// <returns>Bytes by key (as measured by the worker that computed or received it).</returns>
    public async Task<IReadOnlyDictionary<string, long>> NBytesAsync(CancellationToken cancellationToken = default)
    {
        var state = await ClusterStateAsync(cancellationToken).ConfigureAwait(false);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var held in state.Workers.SelectMany(w => w.HasWhat)) sizes[held.Key] = (long)held.Nbytes;
        return sizes;
    }

    /// <summary>
    /// The Shoal version, .NET runtime and operating system of this client, the scheduler and every worker, and the user
    /// code in use (the assemblies this client's tasks shipped; on workers, every build of shipped code their tasks loaded),
    /// compared (<see cref="ClusterVersions.Mismatches"/>), as Dask's <c>get_versions</c> compares packages. The workers
    /// are asked with <see cref="RunAsync{T}"/>, so a worker whose threads are all busy answers when one frees up.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The versions.</returns>
    public Task<ClusterVersions> GetVersionsAsync(CancellationToken cancellationToken = default) => GetVersionsAsync(false, cancellationToken);

    /// <summary>
    /// As <see cref="GetVersionsAsync(CancellationToken)"/>; with <paramref name="check"/>, mismatches are an error (Dask's
    /// <c>get_versions(check=True)</c>).
    /// </summary>
    /// <param name="check">Throw when anything differs from the client.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The versions.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="check"/> is set and something differs; the message lists each mismatch.</exception>
    public async Task<ClusterVersions> GetVersionsAsync(bool check, CancellationToken cancellationToken = default)
    {
        var state = await ClusterStateAsync(cancellationToken).ConfigureAwait(false);
        var described = await RunAsync(static () => WorkerContext.DescribeProcess(), null, cancellationToken).ConfigureAwait(false);
        var workers = new Dictionary<string, ProcessVersions>(StringComparer.Ordinal);
        foreach (var worker in state.Workers)
        {
            var lines = described.GetValueOrDefault(worker.Address)?.Split('\n') ?? ["", ""];
            workers[worker.Name] = new ProcessVersions(worker.ShoalVersion, lines[0], lines.Length > 1 ? lines[1] : "")
            {
                Code = [.. lines.Skip(2).Select(Shoal.Code.LoadedCode.Parse).OfType<Shoal.Code.LoadedCode>().Select(c => new CodeVersion(c.Name, c.Version, c.Hash))],
            };
        }

        var versions = new ClusterVersions(
            new ProcessVersions(ProtocolVersion.ShoalVersion, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription)
            {
                Code = [.. ShippedCodeVersions()],
            },
            new ProcessVersions(state.SchedulerVersion, state.SchedulerRuntime, state.SchedulerOs),
            workers);
        if (check && versions.Mismatches.Count > 0)
        {
            throw new InvalidOperationException("the cluster's versions differ from the client's:\n" + string.Join("\n", versions.Mismatches));
        }

        return versions;
    }

    /// <summary>The assemblies this client's tasks have shipped so far (native libraries left out), by name.</summary>
    private IEnumerable<CodeVersion> ShippedCodeVersions() =>
        _outbox.ShippedCode
            .Where(a => a.Source.NativeRid is null)
            .Select(a => Shoal.Code.LoadedCode.OfFile(a.Source.Path, a.Source.Hash))
            .OfType<Shoal.Code.LoadedCode>()
            .Select(c => new CodeVersion(c.Name, c.Version, c.Hash))
            .OrderBy(c => c.Name, StringComparer.Ordinal);

    /// <summary>
    /// Writes what the scheduler knows of the cluster (every worker with what it runs and holds, task counts per
    /// state, versions) and what this client holds, as indented JSON to <paramref name="path"/>, for a bug report
    /// (Dask's <c>dump_cluster_state</c>). Values are not included.
    /// </summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="cancellationToken">Stops waiting for the scheduler.</param>
    /// <returns>The full path written.</returns>
    public async Task<string> DumpClusterStateAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var state = await ClusterStateAsync(cancellationToken).ConfigureAwait(false);
        var full = Path.GetFullPath(path);
        await using var file = File.Create(full);
        await using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("written", DateTimeOffset.UtcNow);
        json.WriteStartObject("client");
        json.WriteString("name", Options.Name);
        json.WriteString("shoal", ProtocolVersion.ShoalVersion);
        json.WriteString("runtime", RuntimeInformation.FrameworkDescription);
        json.WriteStartObject("futures");
        foreach (var (key, status) in Futures.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(key, status.ToString());
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("scheduler");
        json.WriteString("address", SchedulerAddress);
        json.WriteString("shoal", state.SchedulerVersion);
        json.WriteString("runtime", state.SchedulerRuntime);
        json.WriteString("os", state.SchedulerOs);
        json.WriteNumber("tasks", state.Tasks);
        json.WriteStartObject("task_states");
        foreach (var (name, count) in state.TaskStates.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteNumber(name, count);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartArray("workers");
        foreach (var worker in state.Workers)
        {
            json.WriteStartObject();
            json.WriteString("name", worker.Name);
            json.WriteString("address", worker.Address);
            json.WriteString("host", worker.Host);
            json.WriteNumber("pid", worker.Pid);
            json.WriteString("shoal", worker.ShoalVersion);
            json.WriteNumber("nthreads", worker.Nthreads);
            json.WriteNumber("memory_limit", worker.MemoryLimit);
            json.WriteStartObject("resources");
            foreach (var (name, amount) in worker.Resources) json.WriteNumber(name, amount);
            json.WriteEndObject();
            json.WriteStartArray("processing");
            foreach (var key in worker.Processing) json.WriteStringValue(key);
            json.WriteEndArray();
            json.WriteStartObject("has_what");
            foreach (var held in worker.HasWhat) json.WriteNumber(held.Key, held.Nbytes);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        return full;
    }

    private async Task<ClusterStateReply> ClusterStateAsync(CancellationToken cancellationToken)
    {
        var id = _scheduler.NextRequestId();
        var reply = await _scheduler.RequestAsync(id, new Envelope { ClusterState = new ClusterStateRequest { RequestId = id } }, default, cancellationToken).ConfigureAwait(false);
        return reply.Message.ClusterStateReply;
    }

    /// <summary>
    /// Runs <paramref name="function"/> once on every worker (or on those named) and returns each result by worker
    /// address (Dask's <c>run</c>). Each call is a task restricted to its worker (never stolen, never run twice), so
    /// it takes one of that worker's threads: on a worker whose threads are all busy it runs when one frees up.
    /// There is no <c>RunOnSchedulerAsync</c>: the scheduler never loads user code (it decodes no value and runs no
    /// delegate, which keeps it small, safe and fast); ask it questions through the client's introspection calls.
    /// </summary>
    /// <typeparam name="T">What the function returns.</typeparam>
    /// <param name="function">What to run; it may read <see cref="WorkerContext"/>.</param>
    /// <param name="workers">Names or addresses of the workers to run on; null for all.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>Results by worker address.</returns>
    public async Task<IReadOnlyDictionary<string, T>> RunAsync<T>(Func<T> function, IReadOnlyList<string>? workers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        var info = await GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
        var targets = workers is null ? info.Workers : ChooseWorkers(info, workers);
        var futures = targets.Select(w => (w.Address, Future: Submit(function, new SubmitOptions { Workers = [w.Address], Pure = false, Priority = long.MaxValue / 2 }))).ToList();
        try
        {
            var results = await GatherAsync(futures.Select(f => f.Future), cancellationToken).ConfigureAwait(false);
            var byWorker = new Dictionary<string, T>(StringComparer.Ordinal);
            for (var i = 0; i < futures.Count; i++) byWorker[futures[i].Address] = results[i];
            return byWorker;
        }
        finally
        {
            foreach (var (_, future) in futures) future.Dispose();
        }
    }
}
