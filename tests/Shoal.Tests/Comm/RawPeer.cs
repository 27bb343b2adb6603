using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Shoal.Comm.Internal;
using Shoal.Protocol;

namespace Shoal.Tests.Comm;

/// <summary>A hand-driven TCP peer for feeding a listener bytes a real Shoal peer never sends.</summary>
internal sealed class RawPeer : IDisposable
{
    public Socket Socket { get; }

    private RawPeer(Socket socket) => Socket = socket;

    public static async Task<RawPeer> ConnectAsync(string address)
    {
        var parsed = ShoalAddress.Parse(address);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(parsed.Host), parsed.Port));
        return new RawPeer(socket);
    }

    /// <summary>Connects and completes a real handshake, after which the test sends raw frames.</summary>
    public static async Task<RawPeer> HandshakenAsync(string address)
    {
        var peer = await ConnectAsync(address);
        await TcpHandshake.RunClientAsync(new SocketByteChannel(peer.Socket), address, CommTestHelpers.Client("raw"), CancellationToken.None);
        return peer;
    }

    public Task SendAsync(byte[] bytes) => Socket.SendAsync(bytes, SocketFlags.None);

    /// <summary>Encodes one frame with the real encoder.</summary>
    public static byte[] Frame(params Shoal.Protocol.Messages.Envelope[] envelopes)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameEncoder.WriteFrame(output, envelopes.Select(e => new OutgoingMessage(e, 0, 0)).ToArray(), []);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Waits until the other side closes (receive returns 0 or the connection is reset).</summary>
    public async Task WaitForCloseAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (await Socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(CommTestHelpers.Patience) > 0) { }
        }
        catch (SocketException)
        {
        }
    }

    public void Dispose() => Socket.Dispose();
}
