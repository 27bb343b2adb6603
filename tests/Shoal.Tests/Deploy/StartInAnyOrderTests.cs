using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Shoal.Scheduling;
using Shoal.Tests.Comm;
using Shoal.Tests.EndToEnd;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Deploy;

/// <summary>
/// Start in any order: a worker or client started before its scheduler waits for it in the same
/// process (as pods and containers start), rather than failing and being started again.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class StartInAnyOrderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_worker_started_before_its_scheduler_waits_in_the_same_process_and_registers_when_it_comes()
    {
        var port = Ports.Free();
        var address = $"tcp://127.0.0.1:{port}";
        var name = $"early-{Guid.NewGuid().ToString("N")[..6]}";
        await using var nanny = ShoalProcess.Start(["worker", address, "--nthreads", "1", "--name", name, "--death-timeout", "60s"]);
        var clock = Stopwatch.StartNew();
        await nanny.WaitForLineAsync(l => l.Contains($"Waiting for the scheduler at {address}", StringComparison.Ordinal), Patience);
        // Wait for a second attempt's line too: the worker keeps trying, in the process that printed the first.
        await nanny.WaitForLineAsync(l => l.Contains($"Waiting for the scheduler at {address}", StringComparison.Ordinal) && !l.Contains("attempt 1,", StringComparison.Ordinal), Patience);
        var childrenBefore = NannyTests.ChildrenOf(nanny.Id);
        childrenBefore.ShouldNotBeEmpty();

        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = address });
        await Eventually.HoldsAsync(() => scheduler.WorkerCount == 1, Patience, "the early worker registers");
        var waited = clock.Elapsed;
        var registered = scheduler.WorkerProcesses.ShouldHaveSingleItem();
        registered.Worker.ShouldBe(name);
        childrenBefore.ShouldContain(registered.Pid, $"the worker that registered is the process that was waiting. Output:{Environment.NewLine}{nanny.Output}");
        nanny.Output.ShouldNotContain("restarting", Case.Insensitive);

        // One line per attempt interval, not one per attempt.
        var lines = nanny.Output.Split('\n').Count(l => l.Contains("Waiting for the scheduler", StringComparison.Ordinal));
        lines.ShouldBeLessThanOrEqualTo((int)(waited / Shoal.Comm.Rpc.SchedulerWait.MaxBackoff) + 1, nanny.Output);

        await using var client = await Client.ConnectAsync(address);
        var squares = client.Map(static (int x) => x * x, Enumerable.Range(0, 20));
        (await client.GatherAsync(squares).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 20).Select(x => x * x));
    }

    [Fact]
    public async Task A_worker_whose_scheduler_never_comes_stops_after_its_death_timeout_with_its_own_exit_code_and_is_not_restarted()
    {
        var address = $"tcp://127.0.0.1:{Ports.Free()}";
        await using var nanny = ShoalProcess.Start(["worker", address, "--nthreads", "1", "--death-timeout", "2s"]);
        await nanny.WaitForLineAsync(l => l.Contains("Worker stopping: could not reach the scheduler at " + address, StringComparison.Ordinal), Patience);
        var exit = await nanny.WaitForExitAsync(Patience);
        exit.ShouldBe(3, nanny.Output);
        nanny.Output.ShouldContain("its nanny stops");
        nanny.Output.ShouldNotContain("restarting", Case.Insensitive);
    }

    [Fact]
    public async Task A_worker_whose_schedulers_name_does_not_resolve_yet_waits_for_it_like_for_the_scheduler()
    {
        // A pod's scheduler Service may not exist yet: the name not resolving is one more way of not being up yet.
        var address = $"tcp://shoal-{Guid.NewGuid().ToString("N")[..6]}.invalid:8786";
        await using var worker = ShoalProcess.Start(["worker", address, "--no-nanny", "--death-timeout", "2s"]);
        await worker.WaitForLineAsync(l => l.Contains($"Waiting for the scheduler at {address}", StringComparison.Ordinal) && l.Contains("does not resolve", StringComparison.Ordinal), Patience);
        (await worker.WaitForExitAsync(Patience)).ShouldBe(3, worker.Output);
        worker.Output.ShouldContain($"Worker stopping: could not reach the scheduler at {address} within 2 s");
    }

    [Fact]
    public async Task A_client_told_to_wait_connects_once_the_scheduler_comes()
    {
        var address = $"tcp://127.0.0.1:{Ports.Free()}";
        using var logs = new CapturingLoggerFactory();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        logs.Logged += (_, message) =>
        {
            if (message.Contains($"Waiting for the scheduler at {address}", StringComparison.Ordinal)) waiting.TrySetResult();
        };
        var connecting = Client.ConnectAsync(address, new ClientOptions { WaitForScheduler = Patience, LoggerFactory = logs });
        await waiting.Task.WaitAsync(Patience);
        connecting.IsCompleted.ShouldBeFalse();

        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = address });
        await using var client = await connecting.WaitAsync(Patience);
        (await client.GetClusterInfoAsync()).Workers.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_client_gives_up_waiting_with_a_clear_error_and_does_not_wait_for_something_that_is_not_a_scheduler()
    {
        var address = $"tcp://127.0.0.1:{Ports.Free()}";
        var error = await Should.ThrowAsync<SchedulerUnreachableException>(
            () => Client.ConnectAsync(address, new ClientOptions { WaitForScheduler = TimeSpan.FromMilliseconds(300) }).WaitAsync(Patience));
        error.Message.ShouldContain(address);
        error.Address.ShouldBe(address);

        // Waiting is for a scheduler still starting; a peer that answers in another protocol is an error at once.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync();
            await peer.GetStream().WriteAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray());
            var buffer = new byte[1024];
            while (await peer.GetStream().ReadAsync(buffer) > 0) { }
        });
        var wrong = await Should.ThrowAsync<Shoal.Protocol.ProtocolException>(() => Client.ConnectAsync(
            $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", new ClientOptions { WaitForScheduler = Patience }).WaitAsync(Patience));
        wrong.ShouldNotBeOfType<SchedulerUnreachableException>();
        listener.Stop();
        await serve.WaitAsync(Patience).ContinueWith(_ => { });
    }
}
