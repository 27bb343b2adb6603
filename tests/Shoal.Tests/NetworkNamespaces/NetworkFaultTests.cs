using System.Diagnostics;
using System.Net.Sockets;
using Shoal.Tests.EndToEnd;
using Shoal.Tests.Resilience;
using Xunit.Abstractions;

namespace Shoal.Tests.NetworkNamespaces;

/// <summary>
/// Faults on real hosts: the scheduler and two workers each in a network namespace of their own,
/// the client in the root namespace. Every execution of a task leaves a file in a directory under
/// /tmp (shared by the namespaces), named after the task and the worker that ran it.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class NetworkFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Step = E2E.Timeout;

    /// <summary>The workers that ran each task so far, by task name.</summary>
    private static Dictionary<string, List<string>> Executions(string dir)
    {
        var runs = new Dictionary<string, List<string>>();
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            // TASK.WORKER.GUID: the name says it all, so a worker killed at any moment leaves no half-written record.
            var parts = Path.GetFileName(file).Split('.');
            if (!runs.TryGetValue(parts[0], out var list)) runs[parts[0]] = list = [];
            list.Add(parts[1]);
        }

        return runs;
    }

    private static int CountFiles(string dir) => Directory.EnumerateFiles(dir).Count();

    private static async Task<bool> ReachableAsync(string tcpAddress)
    {
        var uri = new Uri(tcpAddress);
        using var socket = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        try
        {
            await socket.ConnectAsync(uri.Host, uri.Port, cts.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<string[]> WorkerNamesAsync(Client client) =>
        [.. (await client.GetClusterInfoAsync().WaitAsync(Step)).Workers.Select(w => w.Name).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The results a worker took with it, as the scheduler's debug log names them: those it held
    /// when it was removed that no other worker had, and those lost before, when a peer could not
    /// get them from it, their last holder.
    /// </summary>
    private static HashSet<string> LostWith(string schedulerLog, string worker, string address)
    {
        static IEnumerable<string> KeysAfter(string line, string marker) =>
            line[(line.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var lost = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in schedulerLog.Split(Environment.NewLine))
        {
            if (line.Contains($"Worker {worker} left holding ", StringComparison.Ordinal)) lost.UnionWith(KeysAfter(line, "no other worker has: "));
            else if (line.Contains("Result ", StringComparison.Ordinal) && line.EndsWith($"could not get it from {address}, its last holder", StringComparison.Ordinal))
                lost.Add(KeysAfter(line, "Result ").First());
        }

        return lost;
    }

    /// <summary>
    /// Holds a task that starts on w1 once the control directory has a "freeze" file (it never
    /// finishes: w1 is killed), leaving a "blocked" file there; so the test can kill w1 when none
    /// of its threads can complete a task the scheduler would not hear of.
    /// </summary>
    private static void BlockOnW1IfFrozen(string dir)
    {
        var control = dir + ".control";
        if (WorkerContext.Name != "w1" || !File.Exists(Path.Combine(control, "freeze"))) return;
        File.Create(Path.Combine(control, $"blocked.{Guid.NewGuid():N}")).Dispose();
        Thread.Sleep(Timeout.Infinite);
    }

    [Fact]
    public async Task Killing_every_process_of_a_worker_host_mid_graph_reruns_exactly_the_lost_results()
    {
        var clock = Stopwatch.StartNew();
        var dir = Directory.CreateTempSubdirectory("shoal-netns-kill-").FullName;
        var control = Directory.CreateDirectory(dir + ".control").FullName;
        await using var cluster = NetnsCluster.Create();
        try
        {
            await cluster.StartSchedulerAsync(logLevel: "Debug");
            cluster.StartWorker("w1", "--nthreads", "2", "--death-timeout", "30s");
            cluster.StartWorker("w2", "--nthreads", "2", "--death-timeout", "30s");
            await using var client = await cluster.ConnectAsync();
            await client.WaitForWorkersAsync(2).WaitAsync(Step);
            var w1Address = (await client.GetClusterInfoAsync().WaitAsync(Step)).Workers.Single(w => w.Name == "w1").Address;
            output.WriteLine($"cluster up after {clock.Elapsed.TotalSeconds:0.0} s");

            // 5,000 leaves and 5,000 pairs of neighbouring leaves: 10,000 tasks. Each leaves a file
            // when it completes (a task killed half way did not execute).
            const int n = 5000;
            var leaves = new Future<int>[n];
            for (var i = 0; i < n; i++)
            {
                leaves[i] = client.Submit(static (int i, string dir) =>
                {
                    BlockOnW1IfFrozen(dir);
                    Thread.Sleep(1);
                    File.Create(Path.Combine(dir, $"a{i}.{WorkerContext.Name}.{Guid.NewGuid():N}")).Dispose();
                    return (3 * i) + 1;
                }, i, dir);
            }

            var pairs = new Future<int>[n];
            for (var i = 0; i < n; i++)
            {
                pairs[i] = client.Submit(static (int x, int y, int i, string dir) =>
                {
                    BlockOnW1IfFrozen(dir);
                    Thread.Sleep(1);
                    File.Create(Path.Combine(dir, $"b{i}.{WorkerContext.Name}.{Guid.NewGuid():N}")).Dispose();
                    return x + y;
                }, (Arg<int>)leaves[i], (Arg<int>)leaves[(i + 1) % n], i, dir);
            }

            output.WriteLine($"10,000 tasks submitted at {clock.Elapsed.TotalSeconds:0.0} s");
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var futures = new Dictionary<string, Future<int>>(StringComparer.Ordinal);
            for (var i = 0; i < n; i++)
            {
                names[leaves[i].Key] = $"a{i}";
                names[pairs[i].Key] = $"b{i}";
                futures[$"a{i}"] = leaves[i];
                futures[$"b{i}"] = pairs[i];
            }

            await Eventually.HoldsAsync(() => CountFiles(dir) >= 3500, Step, "3,500 of the 10,000 tasks ran");
            // Kill w1 when it has told the scheduler of every task it completed (its two threads held at the start of
            // their next task): a result it computed but could not report would be lost without the scheduler knowing.
            File.Create(Path.Combine(control, "freeze")).Dispose();
            await Eventually.HoldsAsync(() => Directory.GetFiles(control, "blocked.*").Length == 2, Step, "both of w1's threads held");
            await Eventually.HoldsAsync(() => Executions(dir).Where(r => r.Value.Contains("w1")).All(r => futures[r.Key].IsDone), Step, "the scheduler knows every result w1 computed");
            var before = CountFiles(dir);
            var pids = cluster.PidsOf("w1");
            pids.ShouldNotBeEmpty();
            cluster.KillHost("w1");
            await Eventually.HoldsAsync(() => cluster.PidsOf("w1").Length == 0, Step, "every process on w1 is gone");
            output.WriteLine($"killed w1 ({pids.Length} processes) after {before} executions, at {clock.Elapsed.TotalSeconds:0.0} s");

            var results = await client.GatherAsync(pairs).WaitAsync(Step);
            for (var i = 0; i < n; i++) results[i].ShouldBe((3 * i) + 1 + (3 * ((i + 1) % n)) + 1);
            // Every leaf is still wanted (so none was released and recomputed for a lost pair), and right.
            (await client.GatherAsync(leaves).WaitAsync(Step)).ShouldBe([.. Enumerable.Range(0, n).Select(i => (3 * i) + 1)]);
            output.WriteLine($"graph done at {clock.Elapsed.TotalSeconds:0.0} s");
            await Eventually.HoldsAsync(async () => (await WorkerNamesAsync(client)).SequenceEqual(["w2"]), Step, "the scheduler lists only w2");

            var runs = Executions(dir);
            runs.Count.ShouldBe(2 * n);
            var lost = LostWith(cluster.Scheduler.Output, "w1", w1Address).Select(k => names[k]).ToHashSet();
            var again = runs.Where(r => r.Value.Count > 1).Select(r => r.Key).ToHashSet();
            output.WriteLine($"{runs.Values.Sum(r => r.Count)} executions for {2 * n} tasks; {lost.Count} results lost with w1; " +
                $"{again.Count} tasks executed again; {runs.Values.Sum(r => r.Count(w => w == "w1"))} executions on w1");
            lost.Count.ShouldBeGreaterThan(0);
            again.Order(StringComparer.Ordinal).ShouldBe(lost.Order(StringComparer.Ordinal), "the tasks executed again are exactly those whose results were lost");
            foreach (var task in again) runs[task].Order(StringComparer.Ordinal).ToArray().ShouldBe(["w1", "w2"], customMessage: task);
        }
        catch
        {
            output.WriteLine("scheduler:" + Environment.NewLine + cluster.Scheduler.Output);
            throw;
        }
        finally
        {
            await cluster.DisposeAsync();
            Directory.Delete(dir, recursive: true);
            Directory.Delete(control, recursive: true);
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(13)]
    public async Task A_link_cut_for_less_than_the_death_timeout_loses_nothing(int seconds)
    {
        var clock = Stopwatch.StartNew();
        var dir = Directory.CreateTempSubdirectory("shoal-netns-cut-").FullName;
        await using var cluster = NetnsCluster.Create();
        try
        {
            await cluster.StartSchedulerAsync();
            var worker1 = cluster.StartWorker("w1", "--nthreads", "1", "--death-timeout", "40s");
            cluster.StartWorker("w2", "--nthreads", "1", "--death-timeout", "40s");
            await using var client = await cluster.ConnectAsync();
            await client.WaitForWorkersAsync(2).WaitAsync(Step);

            const int n = 20;
            var held = new Future<int>[n];
            for (var i = 0; i < n; i++)
            {
                held[i] = client.Submit(static (int i, string dir) =>
                {
                    File.Create(Path.Combine(dir, $"h{i}.{WorkerContext.Name}.{Guid.NewGuid():N}")).Dispose();
                    return i * 10;
                }, i, dir, new SubmitOptions { Workers = ["w1"], AllowOtherWorkers = false });
            }

            (await client.GatherAsync(held).WaitAsync(Step)).ShouldBe([.. Enumerable.Range(0, n).Select(i => i * 10)]);
            CountFiles(dir).ShouldBe(n);
            var w1 = (await client.GetClusterInfoAsync().WaitAsync(Step)).Workers.Single(w => w.Name == "w1");
            (await ReachableAsync(w1.Address)).ShouldBeTrue(w1.Address);

            cluster.SetLink("w1", up: false);
            var cut = Stopwatch.StartNew();
            try
            {
                await Eventually.HoldsAsync(async () => !await ReachableAsync(w1.Address), Step, "w1 unreachable");
                // Keep it cut, checking all along that it stays unreachable.
                await Eventually.HoldsAsync(
                    async () =>
                    {
                        (await ReachableAsync(w1.Address)).ShouldBeFalse("w1 reachable while its link is down");
                        return cut.Elapsed >= TimeSpan.FromSeconds(seconds);
                    },
                    Step,
                    $"{seconds} s of cut link");
            }
            finally
            {
                cluster.SetLink("w1", up: true);
            }

            output.WriteLine($"link of w1 down for {cut.Elapsed.TotalSeconds:0.0} s");
            var back = Stopwatch.StartNew();
            if (seconds > 10)
            {
                // Past the worker's 10 s scheduler-silence limit: it drops the connection and registers again, keeping its results.
                var again = await worker1.WaitForLineAsync(l => l.Contains("registered again", StringComparison.Ordinal), Step);
                again.ShouldContain($"keeping {n} results");
                output.WriteLine($"{again} ({back.Elapsed.TotalSeconds:0.00} s after the link came back)");
            }

            await Eventually.HoldsAsync(async () => await ReachableAsync(w1.Address) && (await WorkerNamesAsync(client)).SequenceEqual(["w1", "w2"]), Step, "w1 listed again and reachable");
            output.WriteLine($"w1 listed and reachable {back.Elapsed.TotalSeconds:0.00} s after the link came back");
            cluster.PidsOf("w1").ShouldNotBeEmpty();

            // Every result w1 held travels to w2; none is computed again.
            var moved = new Future<int>[n];
            for (var i = 0; i < n; i++)
            {
                moved[i] = client.Submit(static (int v) => v + 1, held[i], new SubmitOptions { Workers = ["w2"], AllowOtherWorkers = false });
            }

            (await client.GatherAsync(moved).WaitAsync(Step)).ShouldBe([.. Enumerable.Range(0, n).Select(i => (i * 10) + 1)]);
            var runs = Executions(dir);
            runs.Count.ShouldBe(n);
            runs.Values.ShouldAllBe(r => r.Count == 1 && r[0] == "w1");
            (await WorkerNamesAsync(client)).ShouldBe(["w1", "w2"]);
            if (seconds <= 10) worker1.Output.ShouldNotContain("Lost the scheduler", customMessage: "a short cut should not drop the connection");
            output.WriteLine($"done in {clock.Elapsed.TotalSeconds:0.0} s");
            output.WriteLine("w1:" + Environment.NewLine + worker1.Output);
            output.WriteLine("scheduler:" + Environment.NewLine + cluster.Scheduler.Output);
        }
        finally
        {
            await cluster.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_worker_cut_off_for_longer_than_its_death_timeout_exits_by_itself()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = NetnsCluster.Create();
        await cluster.StartSchedulerAsync();
        var w1 = cluster.StartWorker("w1", "--nthreads", "1", "--death-timeout", "3s");
        cluster.StartWorker("w2", "--nthreads", "1", "--death-timeout", "30s");
        await using var client = await cluster.ConnectAsync();
        await client.WaitForWorkersAsync(2).WaitAsync(Step);
        cluster.PidsOf("w1").ShouldNotBeEmpty();

        cluster.SetLink("w1", up: false);
        var cut = Stopwatch.StartNew();
        try
        {
            // A cut closes nothing: the worker notices the silence, at its death timeout (shorter than the 10 s
            // silence limit), and exits then, while the link is still down.
            await Eventually.HoldsAsync(() => cluster.PidsOf("w1").Length == 0, TimeSpan.FromSeconds(8), "every process on w1 exits by itself within 8 s of the cut");
            output.WriteLine($"w1's processes all gone {cut.Elapsed.TotalSeconds:0.0} s after its link was cut (death-timeout 3 s)");
            await w1.WaitForExitAsync(TimeSpan.FromSeconds(10));
            output.WriteLine(w1.Output);
            w1.Output.ShouldContain("Lost the scheduler");
            w1.Output.ShouldContain("no message from the scheduler for");
            w1.Output.ShouldNotContain("closed the connection");
            w1.Output.ShouldContain("(death-timeout)");
        }
        finally
        {
            cluster.SetLink("w1", up: true);
        }

        // The cluster goes on with w2.
        var restored = Stopwatch.StartNew();
        output.WriteLine($"workers listed when the link came back: {string.Join(",", await WorkerNamesAsync(client))}");
        var after = client.Submit(static (int v) => $"{v}@{WorkerContext.Name}", 5);
        (await after.ResultAsync().WaitAsync(Step)).ShouldBe("5@w2");
        output.WriteLine($"a new task done {restored.Elapsed.TotalSeconds:0.00} s after the link came back");
        await Eventually.HoldsAsync(async () => (await WorkerNamesAsync(client)).SequenceEqual(["w2"]), Step, "the scheduler lists only w2");
        output.WriteLine($"only w2 listed {restored.Elapsed.TotalSeconds:0.00} s after the link came back; done in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine("scheduler:" + Environment.NewLine + cluster.Scheduler.Output);
    }
}
