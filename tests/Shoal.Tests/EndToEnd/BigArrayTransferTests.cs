using System.Diagnostics;

namespace Shoal.Tests.EndToEnd;

/// <summary>
/// Big arrays from worker A to worker B (child processes of a <c>LocalCluster</c>) over tcp:// and
/// tls://: every element arrives exact (B receives them straight into the array its task gets),
/// and a holder killed in the middle of the body leaves no partial value behind: the value is
/// made again and the task on B sees it whole.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class BigArrayTransferTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("tls")]
    public async Task Big_arrays_of_doubles_ints_and_bytes_arrive_exact_on_another_worker(string scheme)
    {
        await using var cluster = await StartAsync(scheme);
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var (a, b) = await WorkersAsync(client);

        var doubles = client.Submit(static (int n) => MakeDoubles(n), 16_000_000, On(a)); // 128 MB
        var ints = client.Submit(static (int n) => MakeInts(n), 16_000_000, On(a));       // 64 MB
        var bytes = client.Submit(static (int n) => MakeBytes(n), 64_000_000, On(a));     // 64 MB
        var checkedDoubles = client.Submit(static (double[] v) => FirstWrongDouble(v), doubles, On(b));
        var checkedInts = client.Submit(static (int[] v) => FirstWrongInt(v), ints, On(b));
        var checkedBytes = client.Submit(static (byte[] v) => FirstWrongByte(v), bytes, On(b));

        (await checkedDoubles.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe((16_000_000, -1));
        (await checkedInts.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe((16_000_000, -1));
        (await checkedBytes.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe((64_000_000, -1));
    }

    [Fact]
    public async Task A_holder_killed_in_the_middle_of_the_body_leaves_no_partial_value()
    {
        await using var cluster = await StartAsync("tcp");
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        var (a, b) = await WorkersAsync(client);
        const int count = 100_000_000; // 800 MB: long enough a body to cut in the middle
        const long size = count * 8L;

        var made = client.Submit(static (int n) => MakeDoubles(n), count, new SubmitOptions { Workers = [a.Name], AllowOtherWorkers = true, Pure = false });
        await foreach (var _ in client.AsCompleted([made]).WithCancellation(new CancellationTokenSource(E2E.Timeout).Token)) { }
        made.Status.ShouldBe(FutureStatus.Finished);
        var before = ResidentBytes(b.Pid);
        var result = client.Submit(static (double[] v) => FirstWrongDouble(v), made, On(b));

        // B receives the body straight into a fresh array: its resident memory grows as the bytes
        // arrive. Kill A once a tenth of it is there, well before all of it.
        long grown = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < E2E.Timeout && !result.IsDone)
        {
            grown = ResidentBytes(b.Pid) - before;
            if (grown >= size / 10) break;
            Thread.Yield();
        }
        Process.GetProcessById(a.Pid).Kill();
        grown.ShouldBeInRange(size / 10, size * 9 / 10, "A was not killed in the middle of the transfer");

        // The cut transfer leaves nothing usable on B: the value is made again (on B, A is gone)
        // and the task sees every element exact.
        (await result.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe((count, -1));
    }

    private static Task<LocalCluster> StartAsync(string scheme) => LocalCluster.StartAsync(new LocalClusterOptions
    {
        Processes = true,
        Workers = 2,
        ThreadsPerWorker = 1,
        WorkerCommand = IsolatedCli.Path,
        Security = scheme == "tls" ? SecurityOptions.Temporary() : null,
    }).WaitAsync(E2E.Timeout);

    private sealed record Worker(string Name, string Address, int Pid);

    private static async Task<(Worker A, Worker B)> WorkersAsync(Client client)
    {
        await client.WaitForWorkersAsync(2).WaitAsync(E2E.Timeout);
        var workers = (await client.GetClusterInfoAsync().WaitAsync(E2E.Timeout)).Workers.OrderBy(w => w.Name, StringComparer.Ordinal).ToArray();
        var found = new List<Worker>();
        foreach (var w in workers)
        {
            var pid = await client.Submit(static () => Environment.ProcessId, new SubmitOptions { Workers = [w.Name], AllowOtherWorkers = false, Pure = false })
                .ResultAsync().WaitAsync(E2E.Timeout);
            found.Add(new Worker(w.Name, w.Address, pid));
        }
        return (found[0], found[1]);
    }

    private static SubmitOptions On(Worker worker) => new() { Workers = [worker.Name], AllowOtherWorkers = false, Pure = false };

    private static long ResidentBytes(int pid)
    {
        var statm = File.ReadAllText($"/proc/{pid}/statm").Split(' ');
        return long.Parse(statm[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }

    // Every element is a function of its index, so B checks each one exactly without a copy to compare with.
    private static double DoubleAt(int i) => (i % 1_000_003) * 0.5 + i;

    private static double[] MakeDoubles(int n)
    {
        var values = GC.AllocateUninitializedArray<double>(n);
        for (var i = 0; i < n; i++) values[i] = DoubleAt(i);
        return values;
    }

    private static (int, int) FirstWrongDouble(double[] values)
    {
        for (var i = 0; i < values.Length; i++)
            if (values[i] != DoubleAt(i)) return (values.Length, i);
        return (values.Length, -1);
    }

    private static int[] MakeInts(int n)
    {
        var values = GC.AllocateUninitializedArray<int>(n);
        for (var i = 0; i < n; i++) values[i] = i * -7;
        return values;
    }

    private static (int, int) FirstWrongInt(int[] values)
    {
        for (var i = 0; i < values.Length; i++)
            if (values[i] != i * -7) return (values.Length, i);
        return (values.Length, -1);
    }

    private static byte[] MakeBytes(int n)
    {
        var values = GC.AllocateUninitializedArray<byte>(n);
        for (var i = 0; i < n; i++) values[i] = (byte)(i * 13 + (i >> 16));
        return values;
    }

    private static (int, int) FirstWrongByte(byte[] values)
    {
        for (var i = 0; i < values.Length; i++)
            if (values[i] != (byte)(i * 13 + (i >> 16))) return (values.Length, i);
        return (values.Length, -1);
    }
}
