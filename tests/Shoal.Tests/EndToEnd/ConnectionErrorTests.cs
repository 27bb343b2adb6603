using System.Net;
using System.Net.Sockets;

namespace Shoal.Tests.EndToEnd;

/// <summary>Connecting wrongly ends quickly in a clear error.</summary>
public sealed class ConnectionErrorTests
{
    [Fact]
    public async Task Connecting_to_a_port_nobody_listens_on_fails_fast_naming_the_address()
    {
        int port;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        var address = $"tcp://127.0.0.1:{port}";
        var error = await E2E.CatchAsync(() => Client.ConnectAsync(address).WaitAsync(E2E.Timeout));
        // Fast means refused, not waited out: no timeout (ours, or the connect's) and no "unreachable after retrying".
        // No clock: under load a refusal may take seconds, and still be a refusal.
        error.ShouldNotBeOfType<TimeoutException>(error.ToString());
        error.ShouldNotBeOfType<SchedulerUnreachableException>(error.ToString());
        error.Message.ShouldContain($"127.0.0.1:{port}", Case.Sensitive, error.ToString());
    }

    [Fact]
    public async Task A_protocol_version_mismatch_in_process_is_refused_naming_both_versions()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 0 }).WaitAsync(E2E.Timeout);
        var options = new Shoal.Comm.ConnectionOptions { Role = Shoal.Protocol.Messages.Role.Client, Name = "future-client", MinProtocol = 3, MaxProtocol = 4 };
        var error = await E2E.CatchAsync(() => Shoal.Comm.Transports.ConnectAsync(cluster.SchedulerAddress, options).WaitAsync(E2E.Timeout));
        error.ShouldBeAssignableTo<Shoal.Protocol.ProtocolException>(error.ToString());
        var ours = Shoal.Protocol.ProtocolVersion.FormatRange(Shoal.Protocol.ProtocolVersion.Min, Shoal.Protocol.ProtocolVersion.Max);
        error.Message.ShouldContain("3-4");
        error.Message.ShouldMatch($@"speaks\D*\b{ours}\b", error.Message);
    }

    [Fact]
    public async Task Connecting_to_something_that_is_not_a_scheduler_fails_with_a_protocol_error()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync();
            var stream = peer.GetStream();
            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray());
            await stream.FlushAsync();
            var buffer = new byte[1024];
            while (await stream.ReadAsync(buffer) > 0) { }
        });
        var error = await E2E.CatchAsync(() => Client.ConnectAsync($"tcp://127.0.0.1:{port}").WaitAsync(E2E.Timeout));
        error.ShouldNotBeOfType<TimeoutException>(error.ToString());
        error.ShouldBeAssignableTo<IOException>(error.ToString());
        listener.Stop();
        await serve.WaitAsync(E2E.Timeout).ContinueWith(_ => { });
    }
}
