using Google.Protobuf;
using Shoal.Execution;
using Shoal.Protocol.Messages;

namespace Shoal.Hosting;

/// <summary>
/// What a standby worker does while it waits: loads and compiles the code its registration runs
/// (protobuf messages, sockets, the worker state), so that joining takes a round trip, not a warm-up.
/// </summary>
internal static class StandbyWarmup
{
    public static void Run()
    {
        var envelope = new Envelope
        {
            RegisterWorker = new RegisterWorker { Name = "warmup", Address = "tcp://127.0.0.1:1", Nthreads = 1 },
        };
        envelope.RegisterWorker.Keys.Add(new KeyNbytes { Key = "k", Nbytes = 1 });
        _ = Envelope.Parser.ParseFrom(envelope.ToByteArray());
        _ = Envelope.Parser.ParseFrom(new Envelope { Heartbeat = new Heartbeat() }.ToByteArray());
        _ = Envelope.Parser.ParseFrom(new Envelope { ComputeTask = new ComputeTask { Key = "k" } }.ToByteArray());
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            socket.NoDelay = true;
        }

        _ = new WorkerState(new WorkerStateConfig { Address = "tcp://127.0.0.1:1", NThreads = 1 });
    }
}
