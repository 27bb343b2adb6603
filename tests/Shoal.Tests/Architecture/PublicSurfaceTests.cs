namespace Shoal.Tests.Architecture;

/// <summary>
/// The public surface of Shoal.dll is what a user touches, and nothing else. The analyzer
/// (Microsoft.CodeAnalysis.PublicApiAnalyzers, with src/Shoal/PublicAPI.Shipped.txt and
/// PublicAPI.Unshipped.txt) makes every public member explicit at build time; this test is the
/// second wall, over the types of the compiled assembly.
/// </summary>
public sealed class PublicSurfaceTests
{
    /// <summary>Every public type, and why a user needs it.</summary>
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["Shoal.Client"] = "connects to a scheduler; Submit, Map, GatherAsync, ScatterAsync, AsCompleted, ...",
        ["Shoal.ClientOptions"] = "how a client connects",
        ["Shoal.SubmitOptions"] = "per-task key, priority, retries, resources, workers",
        ["Shoal.Future"] = "a task's result, untyped (for collections of mixed futures)",
        ["Shoal.Future`1"] = "a task's result",
        ["Shoal.FutureStatus"] = "pending, finished, error, cancelled, lost",
        ["Shoal.Arg`1"] = "an argument that is a value or a future (Submit's parameters)",
        ["Shoal.Delayed"] = "a lazy graph node, untyped; Delayed.Call",
        ["Shoal.Delayed`1"] = "a lazy graph node",
        ["Shoal.DelayedArg`1"] = "an argument of Delayed.Call: a value or a delayed node",
        ["Shoal.TaskException"] = "what awaiting a failed task throws",
        ["Shoal.ClusterInfo"] = "what the scheduler knows of its cluster",
        ["Shoal.WorkerDescription"] = "one worker of ClusterInfo",
        ["Shoal.ICluster"] = "a cluster a client can connect to (LocalCluster, later others)",
        ["Shoal.LocalCluster"] = "scheduler and workers on this machine, in-process or as processes",
        ["Shoal.LocalClusterOptions"] = "how many workers, threads, processes, nanny",
        ["Shoal.SecurityOptions"] = "TLS certificates or a token",
        ["Shoal.WorkerContext"] = "which worker runs the current task",
        ["Shoal.Variable`1"] = "a named value held by the scheduler (Dask's Variable)",
        ["Shoal.DistributedQueue`1"] = "a queue held by the scheduler (Dask's Queue)",
        ["Shoal.DistributedEvent"] = "a flag held by the scheduler (Dask's Event)",
        ["Shoal.DistributedSemaphore"] = "leases held by the scheduler, released when their holder dies (Dask's Semaphore)",
        ["Shoal.DistributedLock"] = "a semaphore of one lease (Dask's Lock)",
        ["Shoal.IValueCodec`1"] = "a user codec for a type",
        ["Shoal.ValueCodecAttribute"] = "names a type's codec, so workers find it",
        ["Shoal.ValueSerializationException"] = "a value that cannot travel",
        ["Shoal.ClosureCaptureException"] = "a closure that cannot travel, with the field named (thrown at submit)",
        ["Shoal.SchedulerUnreachableException"] = "no scheduler answered within ClientOptions.WaitForScheduler",
        ["Shoal.AdaptiveTarget"] = "how many workers the scheduler wants now (Client.GetAdaptiveTargetAsync)",
        ["Shoal.TaskTransition"] = "one line of a key's story (Client.StoryAsync)",
        ["Shoal.IAdaptiveCluster"] = "a cluster that sizes itself from the adaptive target (LocalCluster, SpecCluster, SshCluster)",
        ["Shoal.WorkerLogEntry"] = "one log line of a worker (Client.GetWorkerLogsAsync)",
        ["Shoal.ProgressReport"] = "how far a set of futures has come (Client.ProgressAsync)",
        ["Shoal.GroupProgress"] = "one task group's progress (Client.ProgressAsync)",
        ["Shoal.ProgressOptions"] = "where and how Client.ProgressAsync draws",
        ["Shoal.PerformanceReport"] = "a performance report being recorded; disposing it writes the HTML file (Client.PerformanceReport)",
        ["Shoal.SchedulerConnectionLostException"] = "what pending futures and calls fail with once the scheduler connection is lost",
        ["Shoal.WaitFor"] = "when Client.WaitAsync returns: all, first completed, first exception",
        ["Shoal.WaitResult`1"] = "the futures done and not done after Client.WaitAsync",
        ["Shoal.Arg"] = "arguments C#'s types cannot say: Arg.Resolve<T>(structure with futures inside)",
        ["Shoal.GatherErrors"] = "raise or skip failed futures in a gather",
        ["Shoal.ProcessVersions"] = "one process's Shoal, runtime and OS versions (Client.GetVersionsAsync)",
        ["Shoal.ClusterVersions"] = "client, scheduler and worker versions compared",
        ["Shoal.CodeVersion"] = "one assembly of user code a process runs (ClusterVersions)",
        ["Shoal.RebalanceResult"] = "what Client.RebalanceAsync moved",
        ["Shoal.AsCompletedSet`1"] = "futures as they complete, added to while iterating, in batches, with results",
        ["Shoal.Deploy.SpecCluster"] = "a cluster from a scheduler spec and a worker launcher: scale, adapt, logs",
        ["Shoal.Deploy.SpecClusterOptions"] = "what SpecCluster starts",
        ["Shoal.Deploy.AdaptOptions"] = "adaptive scaling's bounds and patience",
        ["Shoal.Deploy.ScaleEvent"] = "one scale-up or scale-down SpecCluster made",
        ["Shoal.Deploy.IWorkerLauncher"] = "starts, stops and reads the logs of workers in one kind of place",
        ["Shoal.Deploy.WorkerLaunch"] = "what a launcher is asked to start",
        ["Shoal.Deploy.WorkerLaunchStatus"] = "starting, running, stopped, failed",
        ["Shoal.Deploy.InProcessWorkerLauncher"] = "workers as threads of this process",
        ["Shoal.Deploy.ProcessWorkerLauncher"] = "workers as child processes (shoal worker)",
        ["Shoal.Deploy.SshCluster"] = "a scheduler and workers on hosts reached over SSH (Dask's SSHCluster)",
        ["Shoal.Deploy.SshClusterOptions"] = "what SshCluster starts, and where",
        ["Shoal.Deploy.SshOptions"] = "how the system ssh client reaches the hosts (keys, known_hosts, jump host)",
        ["Shoal.Deploy.SshWorkerLauncher"] = "workers as shoal worker processes on SSH hosts",
        ["Shoal.Deploy.SshException"] = "an SSH host could not run shoal, and why",
    };

    [Fact]
    public void The_public_types_are_exactly_the_allowed_ones()
    {
        var exported = typeof(Client).Assembly.GetExportedTypes().Select(t => t.FullName!).ToHashSet();
        var unexpected = exported.Except(Allowed.Keys).Order(StringComparer.Ordinal).ToList();
        var missing = Allowed.Keys.Except(exported).Order(StringComparer.Ordinal).ToList();
        unexpected.ShouldBeEmpty("public types that are not in the allow-list (make them internal, or add them here and to PublicAPI.Unshipped.txt): " + string.Join(", ", unexpected));
        missing.ShouldBeEmpty("allowed types that are no longer public: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_public_type_is_in_the_root_namespace_or_Deploy()
    {
        // Shoal.Deploy holds what cluster managers are built from (SpecCluster, launchers), as Dask's distributed.deploy.
        typeof(Client).Assembly.GetExportedTypes().Where(t => t.Namespace is not ("Shoal" or "Shoal.Deploy")).Select(t => t.FullName).ShouldBeEmpty();
    }

    [Fact]
    public void The_analyzer_baseline_declares_every_public_type()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Shoal.slnx"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Shoal.slnx above the test's folder");
        var declared = File.ReadLines(Path.Combine(root, "src/Shoal/PublicAPI.Shipped.txt"))
            .Concat(File.ReadLines(Path.Combine(root, "src/Shoal/PublicAPI.Unshipped.txt")))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var type in typeof(Client).Assembly.GetExportedTypes())
        {
            var name = type.FullName!.Split('`')[0] + (type.IsGenericType ? "<" + string.Join(", ", type.GetGenericArguments().Select(a => a.Name)) + ">" : "");
            declared.ShouldContain(name, $"{name} is public but not in PublicAPI.*.txt");
        }
    }
}
