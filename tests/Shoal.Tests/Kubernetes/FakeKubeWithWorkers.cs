using Shoal.Tests.Kubernetes.Fake;

namespace Shoal.Tests.Kubernetes;

/// <summary>The fake API server whose pods run as real in-process workers (<see cref="WorkerKubelet"/>), and a client of it.</summary>
internal sealed class FakeKubeWithWorkers : IAsyncDisposable
{
    private readonly WorkerKubelet _kubelet;

    private FakeKubeWithWorkers(WorkerKubelet kubelet, FakeKubeApi api)
    {
        _kubelet = kubelet;
        Api = api;
        Kubernetes = new k8s.Kubernetes(api.Configuration());
    }

    public FakeKubeApi Api { get; }

    public k8s.Kubernetes Kubernetes { get; }

    public static async Task<FakeKubeWithWorkers> StartAsync()
    {
        var kubelet = new WorkerKubelet();
        return new FakeKubeWithWorkers(kubelet, await FakeKubeApi.StartAsync(kubelet));
    }

    public async ValueTask DisposeAsync()
    {
        Kubernetes.Dispose();
        await Api.DisposeAsync();
        await _kubelet.DisposeAsync();
    }
}
