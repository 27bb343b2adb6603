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
public class TcpClusterFixture : IAsyncLifetime
{
    private readonly List<ShoalProcess> _processes = [];

    /// <summary>More arguments for the scheduler (credentials, in the TLS variant).</summary>
    protected virtual IReadOnlyList<string> SchedulerArguments => [];

    /// <summary>More arguments every worker of this cluster needs (credentials, in the TLS variant).</summary>
    public virtual IReadOnlyList<string> WorkerArguments => [];

    /// <summary>Runs before the scheduler starts.</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>Runs once the scheduler's address is known, before any worker or client connects.</summary>
    protected virtual void OnSchedulerAddress(string address)
    {
    }

    public string SchedulerAddress { get; private set; } = "";

    public ShoalProcess Scheduler { get; private set; } = null!;

    public IReadOnlyList<string> WorkerNames { get; } = ["e2e-tcp-0", "e2e-tcp-1"];

    public async Task InitializeAsync()
    {
        await BeforeStartAsync();
        Scheduler = Track(ShoalProcess.Start(["scheduler", "--port", "0", .. SchedulerArguments]));
        SchedulerAddress = await Scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        OnSchedulerAddress(SchedulerAddress);
        foreach (var name in WorkerNames) StartWorker(name);
        await using var client = await Client.ConnectAsync(SchedulerAddress).WaitAsync(E2E.Timeout);
        await client.WaitForWorkersAsync(WorkerNames.Count).WaitAsync(E2E.Timeout);
    }

    /// <summary>Starts one more <c>shoal worker</c> process on this cluster; it is killed with the fixture, or earlier if disposed.</summary>
    public ShoalProcess StartWorker(string name, params string[] extraArgs) =>
        Track(ShoalProcess.Start(["worker", SchedulerAddress, "--nthreads", "1", "--name", name, .. WorkerArguments, .. extraArgs]));

    public Task<Client> ConnectAsync() => Client.ConnectAsync(SchedulerAddress).WaitAsync(E2E.Timeout);

    private ShoalProcess Track(ShoalProcess process)
    {
        lock (_processes) _processes.Add(process);
        return process;
    }

    public virtual async Task DisposeAsync()
    {
        ShoalProcess[] all;
        lock (_processes) all = [.. _processes];
        foreach (var process in all.Reverse()) await process.DisposeAsync();
    }
}
