using System.Net;
using System.Net.Sockets;

namespace Shoal.Tests.Deploy;

internal static class Ports
{
    /// <summary>A loopback port free a moment ago, for a server a test starts later (the point of the test).</summary>
    public static int Free()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
