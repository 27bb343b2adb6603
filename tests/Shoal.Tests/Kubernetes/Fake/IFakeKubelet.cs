using System.Text.Json.Nodes;

namespace Shoal.Tests.Kubernetes.Fake;

/// <summary>
/// What runs the fake cluster's pods: the test decides what a pod does (start a real in-process
/// worker named after it, stay Pending, crash-loop) and what stopping it means.
/// </summary>
internal interface IFakeKubelet
{
    /// <summary>Runs a pod the API server was given; the answer becomes its status.</summary>
    Task<FakePodOutcome> StartAsync(FakePod pod, CancellationToken cancellationToken);

    /// <summary>The pod was deleted: stop whatever <see cref="StartAsync"/> started.</summary>
    Task StopAsync(FakePod pod);
}

/// <summary>How a pod's start ends, as its status shows it.</summary>
internal enum FakePodOutcome
{
    /// <summary>phase Running, Ready.</summary>
    Running,

    /// <summary>phase Pending, PodScheduled False (Unschedulable): no node has room.</summary>
    Unschedulable,

    /// <summary>phase Running, container waiting in CrashLoopBackOff, not Ready.</summary>
    CrashLoopBackOff,

    /// <summary>phase Failed (restartPolicy Never and the container exited 1).</summary>
    Failed,

    /// <summary>phase Succeeded (restartPolicy Never and the container exited 0: a job's pod that finished).</summary>
    Succeeded,
}

/// <summary>A pod as its kubelet sees it: its first container's environment resolved (field and secret references), arguments and command.</summary>
internal sealed record FakePod(string Namespace, string Name, string Uid, JsonObject Object,
    IReadOnlyDictionary<string, string> Env, IReadOnlyList<string> Args, IReadOnlyList<string> Command, FakeKubeApi Api)
{
    /// <summary>Appends a line to the pod's log (GET .../pods/NAME/log).</summary>
    public void Log(string line) => Api.AppendLog(Namespace, Name, line);

    /// <summary>A file the first container sees at <paramref name="path"/>, read from the Secret volume mounted over its directory (as the kubelet projects it).</summary>
    public string ReadMountedFile(string path)
    {
        var mount = Object["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray().Single(m => path.StartsWith(m.Str("mountPath")! + "/", StringComparison.Ordinal))!;
        var volume = Object["spec"]!["volumes"]!.AsArray().Single(v => v.Str("name") == mount.Str("name"));
        var secret = Api.Store.Get("secrets", Namespace, volume!["secret"].Str("secretName")!)
            ?? throw new InvalidOperationException($"pod {Name}: its Secret is missing");
        var data = secret["data"].Str(Path.GetFileName(path)) ?? throw new InvalidOperationException($"pod {Name}: no {Path.GetFileName(path)} in its Secret");
        return System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(data));
    }

    /// <summary>The value after <paramref name="flag"/> in the container's args, or null.</summary>
    public string? Flag(string flag)
    {
        int i = Args.ToList().IndexOf(flag);
        return i >= 0 && i + 1 < Args.Count ? Args[i + 1] : null;
    }
}

/// <summary>A kubelet whose every pod runs at once (and does nothing).</summary>
internal sealed class RunningKubelet : IFakeKubelet
{
    public Task<FakePodOutcome> StartAsync(FakePod pod, CancellationToken cancellationToken)
    {
        pod.Log($"started {pod.Name}");
        return Task.FromResult(FakePodOutcome.Running);
    }

    public Task StopAsync(FakePod pod) => Task.CompletedTask;
}

/// <summary>A kubelet that answers each pod with what <paramref name="decide"/> says and does nothing else.</summary>
internal sealed class ScriptedKubelet(Func<FakePod, FakePodOutcome> decide) : IFakeKubelet
{
    public Task<FakePodOutcome> StartAsync(FakePod pod, CancellationToken cancellationToken) => Task.FromResult(decide(pod));

    public Task StopAsync(FakePod pod) => Task.CompletedTask;
}
