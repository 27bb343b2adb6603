namespace Shoal.Tests.Simulation;

/// <summary>One direction of a connection: messages arrive in the order they were sent (as on TCP).</summary>
internal sealed class SimLink(string name)
{
    public string Name { get; } = name;

    /// <summary>Arrival time of the last message sent; later messages never overtake it.</summary>
    public double LastArrival { get; set; }

    /// <summary>Reset: messages still in flight are lost, new ones are not sent.</summary>
    public bool Broken { get; set; }
}

/// <summary>
/// The simulated clock and event queue. Events run in time order, ties in the order they were
/// scheduled; nothing depends on real time or on any randomness but the seeded <see cref="Random"/>.
/// </summary>
internal sealed class SimClock(Random rng)
{
    private readonly PriorityQueue<(Action Run, bool Periodic), (double Time, long Seq)> _queue = new();
    private long _seq;

    public Random Rng { get; } = rng;

    public double Now { get; private set; }

    /// <summary>Events still to run that are not periodic timers.</summary>
    public int Pending { get; private set; }

    public int Count => _queue.Count;

    public void At(double time, Action run, bool periodic = false)
    {
        if (time < Now) time = Now;
        _queue.Enqueue((run, periodic), (time, _seq++));
        if (!periodic) Pending++;
    }

    public void After(double delay, Action run, bool periodic = false) => At(Now + delay, run, periodic);

    /// <summary>Runs the next event; false when none is left.</summary>
    public bool Step()
    {
        if (!_queue.TryDequeue(out var e, out var when)) return false;
        Now = when.Time;
        if (!e.Periodic) Pending--;
        e.Run();
        return true;
    }

    /// <summary>A network delay: usually sub-millisecond to a few ms, now and then much longer (reordering across connections).</summary>
    public double NetworkDelay()
    {
        int r = Rng.Next(20);
        if (r == 0) return 0.02 + Rng.NextDouble() * 0.3;
        if (r < 4) return 0.002 + Rng.NextDouble() * 0.01;
        return 0.0001 + Rng.NextDouble() * 0.002;
    }

    /// <summary>Sends over a link: delivered after a random delay, never before earlier messages on the same link, dropped if the link breaks first.</summary>
    public void Send(SimLink link, Action deliver, bool periodic = false)
    {
        if (link.Broken) return;
        double arrival = Math.Max(Now + NetworkDelay(), link.LastArrival);
        link.LastArrival = arrival;
        At(arrival, () =>
        {
            if (!link.Broken) deliver();
        }, periodic);
    }
}
