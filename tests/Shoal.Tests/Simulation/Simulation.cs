using System.Text;
using Shoal.Execution;
using Shoal.Scheduling;

namespace Shoal.Tests.Simulation;

/// <summary>The outcome of one simulated scenario.</summary>
/// <param name="Seed">The seed that drew it.</param>
/// <param name="Failure">The broken invariant (with the end of the trace), null when it passed.</param>
/// <param name="TraceHash">Hash of the whole event trace (same seed, same hash).</param>
/// <param name="Steps">Events run.</param>
/// <param name="Executions">Task executions started.</param>
/// <param name="SimulatedSeconds">Simulated time at the end.</param>
/// <param name="Counts">How often each fault or notable event happened (kills, restarts, steals, ...).</param>
internal sealed record SimResult(int Seed, string? Failure, ulong TraceHash, int Steps, int Executions, double SimulatedSeconds, IReadOnlyDictionary<string, int> Counts);

/// <summary>
/// Runs the real <see cref="SchedulerState"/> and several <see cref="WorkerState"/>s in one thread
/// on a simulated network and clock, driven by one seed. Every message the state machines emit
/// travels on a FIFO link with a random delay; workers die, drop their connection and restart;
/// clients submit, cancel, release and leave. After every event the invariants are checked.
/// </summary>
/// <remarks>
/// The mapping from commands and instructions to messages follows <c>SchedulerServer</c> and
/// <c>WorkerServer</c>: compute requests carry the dependencies' holders at the time they are
/// sent, FreeKeys are batched until the scheduler's inbox is drained, values go into the store
/// before the worker state hears of them.
/// </remarks>
internal sealed partial class Simulation
{
    private const double TickInterval = 0.1;
    private const double FindMissingInterval = 0.5;
    private const double IdleLimit = 30;     // simulated seconds with nothing but timers while work is pending
    private const double TimeLimit = 600;    // simulated seconds before "does not terminate"

    private readonly int _seed;
    private readonly SimClock _clock;
    private readonly Random _rng;
    private readonly SimWorkload _workload;
    private readonly SchedulerState _scheduler;

    private readonly List<SimWorker> _workers = new();             // every incarnation, in creation order
    private readonly Dictionary<int, SimWorker> _registered = new(); // as the scheduler server knows them (by id)
    private readonly Dictionary<string, int> _workerByAddress = new(StringComparer.Ordinal);
    private readonly List<SimClient> _clients = new();
    private readonly Dictionary<string, int> _incarnations = new(StringComparer.Ordinal);
    private int _nextSessionId = 1;

    // Trace.
    private ulong _hash = 14695981039346656037UL;
    private readonly Queue<string> _recent = new();
    private readonly List<string>? _fullTrace = Environment.GetEnvironmentVariable("SHOAL_SIM_TRACE") is { Length: > 0 } ? new() : null;
    private int _steps;
    private int _executions;
    private bool _finished;

    public Simulation(int seed, bool periodicKills = false, bool chains = false)
    {
        _seed = seed;
        _rng = new Random(seed);
        _clock = new SimClock(_rng);
        _workload = periodicKills ? SimWorkload.GeneratePeriodicKills(_rng) : SimWorkload.Generate(_rng, chains);
        _scheduler = new SchedulerState(new SchedulerConfig
        {
            WorkerSaturation = _workload.WorkerSaturation,
            AllowedFailures = _workload.AllowedFailures,
            WorkStealing = _workload.WorkStealing,
            RoundTrip = _workload.RoundTrip,
            DefaultTaskDuration = 0.01,
        });
    }

    /// <summary>Runs one seed to the end; never throws for a broken invariant (it is in the result).</summary>
    public static SimResult Run(int seed) => new Simulation(seed).Run();

    /// <summary>Runs one seed of the kill-every-interval pattern (<see cref="SimWorkload.GeneratePeriodicKills"/>).</summary>
    public static SimResult RunPeriodicKills(int seed) => new Simulation(seed, periodicKills: true).Run();

    /// <summary>Runs one seed of chains under faults (<see cref="SimWorkload.Generate"/> with chains).</summary>
    public static SimResult RunChains(int seed) => new Simulation(seed, chains: true).Run();

    /// <summary>Runs the scenario and returns its outcome.</summary>
    public SimResult Run()
    {
        try
        {
            Start();
            double lastBusy = 0;
            while (true)
            {
                if (!_clock.Step())
                {
                    CheckQuiescent();
                    break;
                }
                _steps++;
                CheckInvariants();
                if (_finished) break;
                if (AllClientsLeft() && _clock.Pending == 0 && !_inboxBusy)
                {
                    CheckQuiescent();
                    break;
                }
                if (_clock.Pending > 0 || _inboxBusy) lastBusy = _clock.Now;
                else if (_clock.Now - lastBusy > IdleLimit)
                    throw new SimInvariantException($"deadlock: nothing in flight for {IdleLimit} s but clients still wait: {PendingSummary()}");
                if (_clock.Now > TimeLimit)
                    throw new SimInvariantException($"does not terminate within {TimeLimit} simulated seconds: {PendingSummary()}");
            }
            return new SimResult(_seed, null, _hash, _steps, _executions, _clock.Now, Counts());
        }
        catch (Exception e)
        {
            var message = new StringBuilder();
            message.Append("seed ").Append(_seed).Append(" at t=").Append(_clock.Now.ToString("F6", System.Globalization.CultureInfo.InvariantCulture))
                .Append(" step ").Append(_steps).Append(": ").Append(e is SimInvariantException ? e.Message : e.ToString()).AppendLine();
            message.AppendLine("last events:");
            foreach (var line in _recent) message.Append("  ").AppendLine(line);
            WriteTrace(message.ToString());
            return new SimResult(_seed, message.ToString(), _hash, _steps, _executions, _clock.Now, Counts());
        }
    }

    private void Start()
    {
        foreach (var spec in _workload.Workers) StartWorker(spec, address: null);
        foreach (var plan in _workload.Clients) StartClient(plan);
        foreach (var (at, kind, index) in _workload.Faults)
        {
            var name = _workload.Workers[index].Name;
            _clock.At(at, () => Fault(kind, name));
        }
        _clock.At(TickInterval, SchedulerTick, periodic: true);
    }

    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    private void Count(string what) => _counts[what] = _counts.GetValueOrDefault(what) + 1;

    private Dictionary<string, int> Counts()
    {
        var all = new Dictionary<string, int>(_counts, StringComparer.Ordinal)
        {
            ["stale-answer-ignored"] = (int)_scheduler.StaleAnswers,
            ["ahead-assigned"] = (int)_scheduler.AheadAssigned,
            ["ahead-landed"] = (int)_scheduler.AheadLanded,
            ["ahead-pulled-back"] = (int)_scheduler.AheadPulledBack,
        };
        return all;
    }

    private bool AllClientsLeft() => _clients.All(c => c.Left);

    private string PendingSummary()
    {
        var parts = new List<string>();
        foreach (var c in _clients.Where(c => !c.Left))
        {
            var pending = c.Keys.Where(k => k.Value == SimKeyStatus.Pending).Select(k => k.Key).Take(5).ToList();
            parts.Add($"client {c.Id} (graphs {c.GraphsSubmitted}/{c.Plan.Graphs.Count}) waits for [{string.Join(", ", pending.Select(k => $"{k}:{_scheduler.StateOf(k)?.ToString() ?? "unknown"}"))}]");
        }
        foreach (var w in _workers.Where(w => w.Alive))
            parts.Add($"{w}: executing {w.State.Executing}, ready {w.State.ReadyCount}, tasks {w.State.TaskCount}, missing [{string.Join(", ", w.State.MissingKeys)}]");
        return string.Join("; ", parts);
    }

    /// <summary>Records one line of the trace: hashed (for replay checks) and kept for the failure report.</summary>
    private void Trace(string line)
    {
        var text = _clock.Now.ToString("F6", System.Globalization.CultureInfo.InvariantCulture) + " " + line;
        foreach (char ch in text)
        {
            _hash ^= ch;
            _hash *= 1099511628211UL;
        }
        _fullTrace?.Add(text);
        _recent.Enqueue(text);
        if (_recent.Count > 80) _recent.Dequeue();
    }

    /// <summary>With SHOAL_SIM_TRACE=dir, a failing seed's whole trace goes to dir/seed-N.txt.</summary>
    private void WriteTrace(string failure)
    {
        if (_fullTrace is null) return;
        var dir = Environment.GetEnvironmentVariable("SHOAL_SIM_TRACE")!;
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, $"seed-{_seed}.txt"), [failure, .. _fullTrace]);
    }

    private SimLink NewLink(string name) => new(name);
}
