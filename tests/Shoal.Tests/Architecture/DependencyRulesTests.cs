namespace Shoal.Tests.Architecture;

/// <summary>
/// The walls between the parts of Shoal.dll: which namespace may use which, checked over the
/// compiled assembly's type references (<see cref="TypeReferences"/>). docs/ARCHITECTURE.md,
/// "Parts and the rules between them", has the same table and says why.
/// </summary>
public sealed class DependencyRulesTests
{
    private const string Api = "Shoal";
    private const string ClientSide = "Shoal.ClientSide";
    private const string Code = "Shoal.Code";
    private const string Comm = "Shoal.Comm";
    private const string Dashboard = "Shoal.Dashboard";
    private const string Metrics = "Shoal.Metrics";
    private const string CommInternal = "Shoal.Comm.Internal";
    private const string CommRpc = "Shoal.Comm.Rpc";
    private const string Deploy = "Shoal.Deploy";
    private const string Execution = "Shoal.Execution";
    private const string Hosting = "Shoal.Hosting";
    private const string Platform = "Shoal.Platform";
    private const string Protocol = "Shoal.Protocol";
    private const string Scheduling = "Shoal.Scheduling";
    private const string Security = "Shoal.Security";
    private const string Serialization = "Shoal.Serialization";
    private const string Transfer = "Shoal.Transfer";
    private const string Util = "Shoal.Util";

    /// <summary>What each part may use besides itself. A namespace missing here is an error: say where a new part sits.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> MayUse = new Dictionary<string, string[]>
    {
        [Util] = [],
        [Platform] = [],
        // The wire format: messages, frames, segments, addresses, big-array descriptors. Uses nothing.
        [Protocol] = [],
        [Security] = [Protocol, Util],
        [Comm] = [Protocol, Security, CommInternal],
        [CommInternal] = [Protocol, Security, Comm],
        [CommRpc] = [Protocol, Security, Comm],
        // Code and values are one part seen from two sides: a delegate is a value, a closure holds
        // values, and values resolve their types through a code set's load context.
        [Serialization] = [Protocol, Code],
        [Code] = [Serialization],
        [Transfer] = [Protocol, Serialization],
        // The scheduler never decodes a value nor loads code: no Serialization, no Code.
        [Scheduling] = [Protocol, Security, Comm, CommRpc, Transfer, Dashboard, Metrics, Util],
        // The scheduler server starts its dashboard and meters and feeds them (an observer stream
        // filled off its hot path); they see it only through Dashboard's IObservedScheduler, never a
        // Scheduling type. The dashboard serves the meters and its feed records into them: a documented pair.
        [Dashboard] = [Protocol, Security, Metrics, Util],
        [Metrics] = [Protocol, Dashboard],
        [Execution] = [Protocol, Security, Comm, CommRpc, Serialization, Code, Transfer, Platform, Util],
        [ClientSide] = [Api, Protocol, Security, Comm, CommRpc, Serialization, Code, Transfer],
        // LocalCluster serves its in-process workers' meters at their own /metrics (WorkerHttpPort) through Metrics' endpoint.
        [Api] = [ClientSide, Protocol, Security, Comm, CommRpc, Serialization, Code, Transfer, Scheduling, Execution, Deploy, Dashboard, Metrics, Platform, Util],
        // Deploy starts processes; Hosting (what the CLI runs) uses it, never the other way round.
        // SpecCluster (Shoal.Deploy) is an ICluster of the API and starts in-process scheduler and
        // workers, as LocalCluster (in the API's namespace) uses Deploy's process starting: a documented pair.
        [Deploy] = [Api, Protocol, Security, Scheduling, Execution, Platform, Util],
        // Hosting serves a worker's meter (an Execution part) at its --http-port through Metrics' endpoint.
        [Hosting] = [Api, Deploy, Protocol, Security, Comm, CommRpc, Scheduling, Execution, Dashboard, Metrics, Platform, Util],
    };

    /// <summary>
    /// Public types of the root namespace that the parts below it take, throw or fill in: they
    /// are the API's, so users see them in <c>Shoal</c>, but a lower part is where they act.
    /// </summary>
    internal static readonly IReadOnlySet<string> ApiTypesEveryPartMayUse = new HashSet<string>
    {
        "Shoal.SecurityOptions",               // options a user gives; Security, Comm and the servers read them
        "Shoal.WorkerContext",                 // what a task asks about its worker; the worker sets it
        "Shoal.SchedulerUnreachableException", // what a user catches when no scheduler answered in time; Comm.Rpc's dial throws it
        "Shoal.ValueSerializationException",   // thrown by Serialization for a value that cannot travel
        "Shoal.ClosureCaptureException",       // thrown by Serialization/Code for a closure that cannot travel
        "Shoal.IValueCodec`1",                 // a user codec, which Serialization calls
        "Shoal.ValueCodecAttribute",           // names a type's codec; Serialization reads it
    };

    private static string PartOf(string ns) => ns.StartsWith("Shoal.Protocol.Messages", StringComparison.Ordinal) ? Protocol : ns;

    [Fact]
    public void Every_reference_between_parts_is_allowed()
    {
        var edges = TypeReferences.Of(typeof(Client).Assembly.Location);
        edges.Count.ShouldBeGreaterThan(1000, "the reader found the assembly's references");
        var violations = Violations(edges);
        violations.ShouldBeEmpty(string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void A_reference_across_a_wall_is_named_with_both_types()
    {
        // The rule checker itself: a made-up reference from the protocol to the comm layer fails
        // and names the offending types; one within the table passes.
        var bad = new TypeReferenceEdge("Shoal.Protocol.FrameDecoder", Protocol, "Shoal.Comm.IConnection", Comm);
        var good = new TypeReferenceEdge("Shoal.Comm.IConnection", Comm, "Shoal.Protocol.Segment", Protocol);
        var found = Violations([bad, good]);
        found.ShouldHaveSingleItem().ShouldContain("Shoal.Protocol.FrameDecoder -> Shoal.Comm.IConnection");
        Violations([new TypeReferenceEdge("Shoal.Nowhere.Thing", "Shoal.Nowhere", "Shoal.Protocol.Segment", Protocol)])
            .ShouldHaveSingleItem().ShouldContain("not in the table");
    }

    [Fact]
    public void The_table_has_no_cycles_but_the_documented_ones()
    {
        // Parts that use each other on purpose (each pair is explained in the table).
        var allowed = new HashSet<(string, string)> { (Serialization, Code), (Comm, CommInternal), (Api, ClientSide), (Api, Deploy), (Dashboard, Metrics) };
        var cycles = new List<string>();
        foreach (var (from, uses) in MayUse)
        {
            foreach (var to in uses)
            {
                if (Reaches(to, from, []) && !allowed.Contains((from, to)) && !allowed.Contains((to, from)))
                    cycles.Add($"{from} -> {to} -> ... -> {from}");
            }
        }

        cycles.ShouldBeEmpty(string.Join(Environment.NewLine, cycles));
    }

    private static bool Reaches(string from, string target, HashSet<string> seen)
    {
        if (from == target) return true;
        if (!seen.Add(from)) return false;
        return MayUse.TryGetValue(from, out var next) && next.Any(n => Reaches(n, target, seen));
    }

    internal static List<string> Violations(IEnumerable<TypeReferenceEdge> edges)
    {
        var found = new List<string>();
        foreach (var e in edges.OrderBy(e => e.FromType, StringComparer.Ordinal).ThenBy(e => e.ToType, StringComparer.Ordinal))
        {
            var from = PartOf(e.FromNamespace);
            var to = PartOf(e.ToNamespace);
            if (!MayUse.TryGetValue(from, out var allowed))
            {
                found.Add($"{e.FromType} -> {e.ToType}: namespace {from} is not in the table (DependencyRulesTests.MayUse): say which parts it may use");
                continue;
            }

            if (from == to || allowed.Contains(to) || ApiTypesEveryPartMayUse.Contains(e.ToType)) continue;
            found.Add($"{e.FromType} -> {e.ToType}: {from} may use only {(allowed.Length == 0 ? "itself" : string.Join(", ", allowed))}");
        }

        return found;
    }
}
