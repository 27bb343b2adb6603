using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Shoal.Comm.Internal;

/// <summary>
/// Picks the address other machines should use to reach a listener bound to every interface
/// (0.0.0.0 / ::), as Dask's <c>get_ip</c> does: the source address of the default route, else
/// the first non-loopback IPv4 address that is up, else loopback.
/// </summary>
internal static class ContactAddress
{
    public static IPAddress For(IPAddress bound)
    {
        if (!bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any)) return bound;
        try
        {
            // A UDP "connect" sends nothing; it only asks the kernel which source address it would use.
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(IPAddress.Parse("203.0.113.1"), 9));
            if (probe.LocalEndPoint is IPEndPoint { Address: var source } && !source.Equals(IPAddress.Any))
                return source;
        }
        catch (SocketException)
        {
            // No default route: fall back to the interfaces.
        }
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                    if (unicast.Address.AddressFamily == AddressFamily.InterNetwork) return unicast.Address;
            }
        }
        catch (NetworkInformationException)
        {
        }
        return IPAddress.Loopback;
    }
}
