using System.Net;
using System.Net.Sockets;

namespace Shoal.Tests.Resilience;

/// <summary>
/// A TCP relay in front of a server whose traffic can be frozen: bytes stop flowing both ways,
/// but no connection closes, as when a network link goes down.
/// </summary>
internal sealed class FreezableTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private volatile TaskCompletionSource _flowing = Open();
    private readonly Task _accepting;

    public FreezableTcpProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The address to dial instead of the target's.</summary>
    public string Address => $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public void Freeze() => _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Thaw() => _flowing.TrySetResult();

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.TrySetResult();
        return open;
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
                var outbound = new TcpClient();
                try
                {
                    await outbound.ConnectAsync(_target, _stop.Token);
                }
                catch (SocketException)
                {
                    // The target refused this one: so does the relay, and it keeps relaying the next.
                    inbound.Dispose();
                    outbound.Dispose();
                    continue;
                }

                lock (_connections) _connections.AddRange([inbound, outbound]);
                _ = PumpAsync(inbound.GetStream(), outbound.GetStream());
                _ = PumpAsync(outbound.GetStream(), inbound.GetStream());
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // disposed
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                await _flowing.Task.WaitAsync(_stop.Token);
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0) break;
                await _flowing.Task.WaitAsync(_stop.Token); // frozen while reading: hold the bytes
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception)
        {
            // One side closed, or disposed.
        }

        from.Close();
        to.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _accepting; } catch (Exception) { /* stopping */ }
        lock (_connections) foreach (var c in _connections) c.Dispose();
        _stop.Dispose();
    }
}
