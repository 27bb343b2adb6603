namespace Shoal.Tests.EndToEnd;

/// <summary>Tests that start real processes run one class at a time: the machine has two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealProcessesCollection
{
    public const string Name = "EndToEnd real processes";
}

/// <summary>
/// A cluster of real processes over TCP, as a user starts it by hand: <c>shoal scheduler</c> and
/// two <c>shoal worker ADDRESS --nthreads 1</c>, which have never seen the test assembly. Shared
/// by the tests of one class.
/// </summary>
public sealed class TcpClusterFixture : IAsyncLifetime
{
    private readonly List<ShoalProcess> _processes = [];

    public string SchedulerAddress { get; private set; } = "";

    public ShoalProcess Scheduler { get; private set; } = null!;

    public IReadOnlyList<string> WorkerNames { get; } = ["e2e-tcp-0", "e2e-tcp-1"];

    public async Task InitializeAsync()
    {
        Scheduler = Track(ShoalProcess.Start(["scheduler", "--port", "0"]));
        SchedulerAddress = await Scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        foreach (var name in WorkerNames) StartWorker(name);
        await using var client = await Client.ConnectAsync(SchedulerAddress).WaitAsync(E2E.Timeout);
        await client.WaitForWorkersAsync(WorkerNames.Count).WaitAsync(E2E.Timeout);
    }

    /// <summary>Starts one more <c>shoal worker</c> process on this cluster; it is killed with the fixture, or earlier if disposed.</summary>
    public ShoalProcess StartWorker(string name, params string[] extraArgs) =>
        Track(ShoalProcess.Start(["worker", SchedulerAddress, "--nthreads", "1", "--name", name, .. extraArgs]));

    public Task<Client> ConnectAsync() => Client.ConnectAsync(SchedulerAddress).WaitAsync(E2E.Timeout);

    private ShoalProcess Track(ShoalProcess process)
    {
        lock (_processes) _processes.Add(process);
        return process;
    }

    public async Task DisposeAsync()
    {
        ShoalProcess[] all;
        lock (_processes) all = [.. _processes];
        foreach (var process in all.Reverse()) await process.DisposeAsync();
    }
}
