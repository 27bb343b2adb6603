using System.Diagnostics.Metrics;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm;

/// <summary>A connection that counts what it sends and receives (TCP and TLS; in-process connections move references, not frames).</summary>
internal interface IConnectionTraffic
{
    /// <summary>Frames written so far.</summary>
    long FramesSent { get; }

    /// <summary>Frames decoded so far.</summary>
    long FramesReceived { get; }

    /// <summary>Bytes handed to the socket so far.</summary>
    long BytesSent { get; }

    /// <summary>Bytes read from the socket so far.</summary>
    long BytesReceived { get; }
}

/// <summary>
/// A server's connections and the frames and bytes they carried, per role of the other end, as
/// metrics (<c>connections</c>, <c>connection.frames</c>, <c>connection.bytes</c>). The connections
/// count as they go (plain fields each one's own loops write, see <c>TcpConnection</c>); this reads
/// them only when scraped, and adds a closed connection's figures to its role's totals, so nothing
/// is done per frame. A lock is taken when a connection opens or closes and on a scrape.
/// </summary>
internal sealed class ConnectionTraffic
{
    private static readonly Role[] Roles = [Role.Scheduler, Role.Worker, Role.Client, Role.Peer, Role.Nanny];

    private readonly Lock _gate = new();
    private readonly Dictionary<IConnectionTraffic, Role> _open = [];
    private readonly Totals[] _closed = new Totals[Roles.Length + 1];

    /// <summary>Counts <paramref name="connection"/> from now until it closes (one that does not count traffic is ignored).</summary>
    public void Track(IConnection connection)
    {
        if (connection is not IConnectionTraffic traffic) return;
        var role = connection.Peer.Role;
        lock (_gate) _open[traffic] = role;
        connection.Closed.ContinueWith(_ => Closed(traffic), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Closed(IConnectionTraffic traffic)
    {
        lock (_gate)
        {
            if (!_open.Remove(traffic, out var role)) return;
            _closed[IndexOf(role)].Add(traffic);
        }
    }

    /// <summary>Per role: open connections and the frames and bytes of every connection so far, open or closed.</summary>
    public IReadOnlyList<(string Role, int Open, Totals Traffic)> Read()
    {
        var open = new int[_closed.Length];
        var totals = new Totals[_closed.Length];
        lock (_gate)
        {
            Array.Copy(_closed, totals, totals.Length);
            foreach (var (connection, role) in _open)
            {
                var i = IndexOf(role);
                open[i]++;
                totals[i].Add(connection);
            }
        }

        var rows = new List<(string, int, Totals)>(totals.Length);
        for (int i = 0; i < totals.Length; i++)
        {
            if (open[i] > 0 || totals[i].FramesSent + totals[i].FramesReceived > 0) rows.Add((NameOf(i), open[i], totals[i]));
        }

        return rows;
    }

    /// <summary>Adds the instruments to <paramref name="meter"/>, tagged <c>role</c> (and <c>direction</c>: sent, received).</summary>
    public void AddInstruments(Meter meter)
    {
        meter.CreateObservableGauge("connections", () => Read().Select(r => new Measurement<int>(r.Open, Tag("role", r.Role))), "{connection}",
            "Connections open, by the role of the other end (TCP and TLS)");
        meter.CreateObservableCounter("connection.frames", () => Directions(t => (t.FramesSent, t.FramesReceived)), "{frame}",
            "Frames sent and received, by the role of the other end");
        meter.CreateObservableCounter("connection.bytes", () => Directions(t => (t.BytesSent, t.BytesReceived)), "By",
            "Bytes sent and received on connections, by the role of the other end");
    }

    private IEnumerable<Measurement<long>> Directions(Func<Totals, (long Sent, long Received)> pick)
    {
        foreach (var (role, _, traffic) in Read())
        {
            var (sent, received) = pick(traffic);
            yield return new Measurement<long>(sent, Tag("role", role), Tag("direction", "sent"));
            yield return new Measurement<long>(received, Tag("role", role), Tag("direction", "received"));
        }
    }

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

    private static int IndexOf(Role role)
    {
        var i = Array.IndexOf(Roles, role);
        return i < 0 ? Roles.Length : i;
    }

    private static string NameOf(int index) => index < Roles.Length ? RoleNames.Of(Roles[index]) : "other";

    /// <summary>Frames and bytes each way.</summary>
    internal struct Totals
    {
        public long FramesSent, FramesReceived, BytesSent, BytesReceived;

        public void Add(IConnectionTraffic c)
        {
            FramesSent += c.FramesSent;
            FramesReceived += c.FramesReceived;
            BytesSent += c.BytesSent;
            BytesReceived += c.BytesReceived;
        }
    }
}
