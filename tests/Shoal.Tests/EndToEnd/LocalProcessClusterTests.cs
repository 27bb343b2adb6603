using System.Net;
using System.Net.Sockets;

namespace Shoal.Tests.EndToEnd;

/// <summary>LocalCluster with worker child processes, and what is left once it is gone (nothing).</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class LocalProcessClusterTests
{
    [Fact]
    public async Task A_process_cluster_runs_work_in_its_children_and_leaves_nothing_behind_when_disposed()
    {
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true, Workers = 2, ThreadsPerWorker = 2, MemoryLimitPerWorker = 512L << 20, WorkerCommand = IsolatedCli.Path,
            Resources = new Dictionary<string, double> { ["GPU"] = 2 },
        }).WaitAsync(E2E.Timeout);
        IReadOnlyList<int> pids;
        string[] addresses;
        try
        {
            cluster.Processes.ShouldBeTrue();
            pids = cluster.WorkerProcessIds;
            pids.Count.ShouldBe(2);
            pids.ShouldAllBe(pid => E2E.IsAlive(pid));
            cluster.SchedulerAddress.ShouldStartWith("tcp://");

            await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
            client.ByReference.ShouldBeFalse();
            var offset = 1000;
            var ys = client.Map(static (int x) => x * 2, Enumerable.Range(0, 1000));
            var total = client.Submit((int[] v) => v.Sum() + offset, ys);
            (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(999_000 + offset);
            var ranIn = client.Map(static (int _) => Environment.ProcessId, Enumerable.Range(0, 20));
            (await client.GatherAsync(ranIn).WaitAsync(E2E.Timeout)).ShouldAllBe(pid => pids.Contains(pid));
            var described = (await client.GetClusterInfoAsync().WaitAsync(E2E.Timeout)).Workers;
            described.ShouldAllBe(w => w.NThreads == 2 && w.MemoryLimit == 512L << 20 && w.Resources["GPU"] == 2);
            addresses = described.Select(w => w.Address).ToArray();
            addresses.Length.ShouldBe(2);
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        pids.Where(E2E.IsAlive).ShouldBeEmpty("worker processes outlived the cluster");
        cluster.WorkerProcessIds.ShouldBeEmpty();
        (await E2E.AcceptsConnectionsAsync(cluster.SchedulerAddress)).ShouldBeFalse("the scheduler port still accepts connections");
        foreach (var address in addresses) (await E2E.AcceptsConnectionsAsync(address)).ShouldBeFalse($"worker port {address} still accepts connections");
    }

    [Fact]
    public async Task Worker_grandchildren_exit_by_themselves_when_their_parent_is_killed()
    {
        var port = FreePort();
        await using var local = ShoalProcess.Start(["local", "--workers", "2", "--threads-per-worker", "1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], exitWithParent: false);
        var address = await local.WaitForSchedulerAddressAsync(E2E.Timeout);
        address.ShouldEndWith($":{port}");
        local.Output.Split(Environment.NewLine)[0].ShouldStartWith("Scheduler at: ", Case.Sensitive, local.Output);
        await using (var client = await Client.ConnectAsync(address).WaitAsync(E2E.Timeout))
        {
            await client.WaitForWorkersAsync(2).WaitAsync(E2E.Timeout);
            (await client.Submit(static () => 2 + 2).ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(4);
        }

        var workers = E2E.ChildrenOf(local.Id);
        workers.Length.ShouldBe(2, local.Output);
        workers.ShouldAllBe(pid => E2E.IsAlive(pid));

        local.KillAlone(); // SIGKILL: the parent gets no chance to stop its children
        var gone = await E2E.PollAsync(() => !workers.Any(E2E.IsAlive), TimeSpan.FromSeconds(30));
        gone.ShouldBeTrue($"worker processes {string.Join(", ", workers.Where(E2E.IsAlive))} outlived their killed parent");
        (await E2E.AcceptsConnectionsAsync(address)).ShouldBeFalse();
    }

    [Fact]
    public async Task Disposing_a_process_cluster_while_tasks_run_still_stops_every_child()
    {
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = 2, ThreadsPerWorker = 1, WorkerCommand = IsolatedCli.Path }).WaitAsync(E2E.Timeout);
        var pids = cluster.WorkerProcessIds;
        var dir = Directory.CreateTempSubdirectory("shoal-e2e-busy-").FullName;
        var started = Path.Combine(dir, "started");
        try
        {
            var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
            // A task that never returns on its own keeps a worker busy while everything is disposed.
            _ = client.Submit(static (string path) =>
            {
                File.WriteAllText(path, "");
                Thread.Sleep(Timeout.Infinite);
                return 0;
            }, started);
            (await E2E.PollAsync(() => File.Exists(started), E2E.Timeout)).ShouldBeTrue();
            await client.DisposeAsync().AsTask().WaitAsync(E2E.Timeout);
        }
        finally
        {
            await cluster.DisposeAsync().AsTask().WaitAsync(E2E.Timeout);
            Directory.Delete(dir, recursive: true);
        }

        pids.Where(E2E.IsAlive).ShouldBeEmpty();
        (await E2E.AcceptsConnectionsAsync(cluster.SchedulerAddress)).ShouldBeFalse();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

/// <summary>One <c>shoal worker --nworkers 2</c> command starting two workers (each in its own process under the nanny, as Dask's).</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class MultiWorkerProcessTests
{
    [Fact]
    public async Task One_worker_process_with_nworkers_two_registers_two_workers_that_share_work()
    {
        await using var scheduler = ShoalProcess.Start(["scheduler", "--port", "0"]);
        var address = await scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        await using var worker = ShoalProcess.Start(["worker", address, "--nworkers", "2", "--nthreads", "1", "--name", "e2e-multi"]);
        await using var client = await Client.ConnectAsync(address).WaitAsync(E2E.Timeout);
        await client.WaitForWorkersAsync(2).WaitAsync(E2E.Timeout);
        var names = (await client.GetClusterInfoAsync()).Workers.Select(w => w.Name).Order().ToArray();
        names.ShouldBe(["e2e-multi-0", "e2e-multi-1"]);
        var pids = new HashSet<int>();
        foreach (var name in names)
        {
            var pinned = client.Submit(static () => (WorkerContext.Name!, Environment.ProcessId), new SubmitOptions { Workers = [name], Pure = false });
            var (ranOn, pid) = await pinned.ResultAsync().WaitAsync(E2E.Timeout);
            ranOn.ShouldBe(name);
            pids.Add(pid);
        }

        // Both workers descend from the one command (directly, or through their nannies).
        pids.Count.ShouldBe(2);
        foreach (var pid in pids) IsDescendantOf(pid, worker.Id).ShouldBeTrue($"worker process {pid} is not a descendant of {worker.Id}");

        // A dependency made on one and used on the other crosses between them.
        var made = client.Submit(static () => Enumerable.Range(0, 1000).ToArray(), new SubmitOptions { Workers = [names[0]] });
        var used = client.Submit(static (int[] v) => v.Sum(), made, new SubmitOptions { Workers = [names[1]] });
        (await used.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(499_500);
    }

    private static bool IsDescendantOf(int pid, int ancestor)
    {
        for (var current = pid; current > 1;)
        {
            if (current == ancestor) return true;
            try
            {
                var text = File.ReadAllText($"/proc/{current}/stat");
                current = int.Parse(text[(text.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                return false;
            }
        }

        return false;
    }
}
