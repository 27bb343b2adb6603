using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// The scheduler server with hand-driven workers on real (in-process) connections: run ids travel
/// in ComputeTask and back in TaskDone, holders' instance ids in ComputeTask's dependencies, and
/// MissingData naming a previous process at an address is not held against the live one.
/// </summary>
public class WorkerAnswersOverTheWireTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static async Task<IConnection> RegisterAsync(SchedulerServer scheduler, string name, string instance)
    {
        var worker = await Dial.ConnectAsync(scheduler.Address, Role.Worker, name, new DialOptions(), CancellationToken.None);
        worker.Send(new Envelope { RegisterWorker = new RegisterWorker { Name = name, Address = $"inproc://{name}-data", Nthreads = 1, InstanceId = instance } });
        (await ReceiveAsync(worker, Envelope.BodyOneofCase.RegisterWorkerReply)).RegisterWorkerReply.WorkerId.ShouldNotBeEmpty();
        return worker;
    }

    private static async Task<Envelope> ReceiveAsync(IConnection connection, Envelope.BodyOneofCase kind)
    {
        while (true)
        {
            var incoming = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience)
                ?? throw new InvalidOperationException("closed");
            if (incoming.Message.BodyCase == kind) return incoming.Message;
        }
    }

    /// <summary>Who holds a key, asked after everything sent before on this connection was handled.</summary>
    private static async Task<string[]> WhoHasAsync(IConnection worker, string key, ulong request)
    {
        worker.Send(new Envelope { WhoHas = new WhoHasRequest { RequestId = request, Keys = { key } } });
        var reply = (await ReceiveAsync(worker, Envelope.BodyOneofCase.WhoHasReply)).WhoHasReply;
        return [.. reply.Locations.Single().Workers];
    }

    [Fact]
    public async Task Run_ids_and_instances_round_trip_and_guard_the_state()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = $"inproc://answers-{Guid.NewGuid():N}",
            Config = new SchedulerConfig { WorkStealing = false },
        });
        await using var a = await RegisterAsync(scheduler, "a", "a-instance");
        await using var client = await Dial.ConnectAsync(scheduler.Address, Role.Client, "client", new DialOptions(), CancellationToken.None);
        client.Send(new Envelope
        {
            UpdateGraph = new UpdateGraph
            {
                Tasks =
                {
                    new TaskSpec { Key = "x-1", Wanted = true },
                    new TaskSpec { Key = "y-1", Dependencies = { "x-1" }, Wanted = true, Workers = { "b" } },
                },
            },
        });

        var compute = (await ReceiveAsync(a, Envelope.BodyOneofCase.ComputeTask)).ComputeTask;
        compute.Key.ShouldBe("x-1");
        compute.RunId.ShouldBeGreaterThan(0UL);
        // An answer naming another run is ignored; the one naming this run counts.
        a.Send(new Envelope { TaskDone = new TaskDone { Key = "x-1", Nbytes = 8, RunId = compute.RunId + 1 } });
        (await WhoHasAsync(a, "x-1", 1)).ShouldBeEmpty();
        a.Send(new Envelope { TaskDone = new TaskDone { Key = "x-1", Nbytes = 8, RunId = compute.RunId } });
        (await WhoHasAsync(a, "x-1", 2)).ShouldBe(["inproc://a-data"]);

        await using var b = await RegisterAsync(scheduler, "b", "b-instance");
        var dependent = (await ReceiveAsync(b, Envelope.BodyOneofCase.ComputeTask)).ComputeTask;
        dependent.Key.ShouldBe("y-1");
        var input = dependent.Dependencies.ShouldHaveSingleItem();
        input.Workers.ShouldBe(["inproc://a-data"]);
        input.WorkerInstances.ShouldBe(["a-instance"]);

        // b could not get x-1 from a previous process at a's address: a still holds it.
        b.Send(new Envelope { MissingData = new MissingData { Key = "x-1", Worker = "inproc://a-data", WorkerInstance = "a-predecessor" } });
        (await WhoHasAsync(b, "x-1", 3)).ShouldBe(["inproc://a-data"]);
        // From a itself: x-1 is lost and computed again, under a new run id.
        b.Send(new Envelope { MissingData = new MissingData { Key = "x-1", Worker = "inproc://a-data", WorkerInstance = "a-instance" } });
        (await WhoHasAsync(b, "x-1", 4)).ShouldBeEmpty();
        var again = (await ReceiveAsync(a, Envelope.BodyOneofCase.ComputeTask)).ComputeTask;
        again.Key.ShouldBe("x-1");
        again.RunId.ShouldBeGreaterThan(compute.RunId);
    }
}
