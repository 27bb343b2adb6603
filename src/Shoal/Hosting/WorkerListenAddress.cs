using System.Net;
using System.Net.Sockets;
using Shoal.Protocol;

namespace Shoal.Hosting;

/// <summary>
/// Where a worker started without <c>--host</c> listens for peers and clients: on the local
/// address of the route to its scheduler. Whoever reaches the scheduler from the worker's side of
/// the network can usually reach that address too, and it is one address, not every interface
/// (0.0.0.0), nor loopback, which peers on other machines cannot reach. The route is the
/// operating system's: a UDP socket "connected" to the scheduler gets the local address the
/// kernel would send from, and no packet is sent.
/// </summary>
internal static class WorkerListenAddress
{
    /// <summary>The host to listen on (an IP address, unbracketed) for a worker of <paramref name="schedulerAddress"/>.</summary>
    /// <exception cref="InvalidOperationException">The scheduler's host does not resolve, or no route leads to it; the message says to pass --host.</exception>
    public static string Choose(string schedulerAddress) => Choose(schedulerAddress, Dns.GetHostAddresses, LocalAddressTowards);

    /// <summary>
    /// The choice, with name resolution and the route lookup given (unit tests): the local address
    /// towards the first of the scheduler host's addresses that has a route, IPv4 ones first.
    /// </summary>
    internal static string Choose(string schedulerAddress, Func<string, IPAddress[]> resolve, Func<IPEndPoint, IPAddress> route)
    {
        var parsed = ShoalAddress.Parse(schedulerAddress);
        if (parsed.Scheme is not ("tcp" or "tls"))
            throw new ArgumentException($"a worker of {schedulerAddress} listens where it is told: only a tcp:// or tls:// scheduler has a route to follow", nameof(schedulerAddress));

        // An empty host means loopback when connecting (see ShoalAddress).
        var host = parsed.Host.Length == 0 ? IPAddress.Loopback.ToString() : parsed.Host;
        IPAddress[] candidates;
        if (IPAddress.TryParse(host, out var literal))
        {
            // The route to this host's own loopback address starts from it: no probe needed.
            if (literal.Equals(IPAddress.Loopback) || literal.Equals(IPAddress.IPv6Loopback)) return literal.ToString();
            candidates = [literal];
        }
        else
        {
            try
            {
                candidates = resolve(host);
            }
            catch (SocketException e)
            {
                throw new SchedulerNameUnresolvedException(NoAddress(schedulerAddress, $"its host '{host}' does not resolve ({e.Message})").Message, e);
            }
        }

        var failures = new List<string>();
        foreach (var candidate in candidates.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1))
        {
            try
            {
                var local = route(new IPEndPoint(candidate, parsed.Port == 0 ? 9 : parsed.Port));
                if (local.IsIPv4MappedToIPv6) local = local.MapToIPv4();
                return local.ToString();
            }
            catch (SocketException e)
            {
                failures.Add($"{candidate}: {e.Message}");
            }
        }

        throw NoAddress(schedulerAddress, failures.Count == 0 ? $"its host '{host}' has no address" : "no route to it (" + string.Join("; ", failures) + ")");
    }

    /// <summary>
    /// The choice, once the scheduler's name resolves: a worker started before its scheduler (whose
    /// Service or DNS record may not exist yet) waits for it, as it waits for the scheduler to answer.
    /// </summary>
    /// <exception cref="SchedulerUnreachableException">The name did not resolve within <paramref name="limit"/>.</exception>
    public static Task<string> ChooseAsync(string schedulerAddress, TimeSpan? limit, Microsoft.Extensions.Logging.ILogger logger, CancellationToken cancellationToken) =>
        // A literal address never waits for a name to resolve: chosen at once, without the retry machinery (start-up time).
        ShoalAddress.TryParse(schedulerAddress, out var parsed, out _) && IPAddress.TryParse(parsed.Host, out _)
            ? Task.FromResult(Choose(schedulerAddress))
            : Comm.Rpc.SchedulerWait.RetryAsync(schedulerAddress, _ => Task.FromResult(Choose(schedulerAddress)),
            e => e is SchedulerNameUnresolvedException, limit, logger, cancellationToken);

    private static InvalidOperationException NoAddress(string schedulerAddress, string why) => new(
        $"cannot choose an address for this worker to listen on from the scheduler at {schedulerAddress}: {why}. "
        + "Pass --host with the address this worker's peers and clients should reach it on");

    /// <summary>The local address the kernel sends from towards <paramref name="scheduler"/> (a UDP connect sends nothing).</summary>
    private static IPAddress LocalAddressTowards(IPEndPoint scheduler)
    {
        using var socket = new Socket(scheduler.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(scheduler);
        return ((IPEndPoint)socket.LocalEndPoint!).Address;
    }
}

/// <summary>The scheduler's host name does not resolve (yet): a worker waits for it.</summary>
internal sealed class SchedulerNameUnresolvedException(string message, Exception inner) : InvalidOperationException(message, inner);
