using System.Reflection;
using System.Runtime.InteropServices;
using Shoal.Bench;

// The benchmark runner: finds every IBenchmark in this assembly and runs the one named on the
// command line. `list` shows them; `list --names` prints bare names (bench/run reads that).
var benchmarks = BenchmarkCatalog.Discover(typeof(IBenchmark).Assembly);
if (benchmarks.Duplicates.Count > 0)
{
    Console.Error.WriteLine($"shoal-bench: several benchmarks are named {string.Join(", ", benchmarks.Duplicates)}");
    return 2;
}

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("usage: dotnet run -c Release --project bench/Shoal.Bench -- list [--names]");
    Console.WriteLine("       dotnet run -c Release --project bench/Shoal.Bench -- NAME [args...]");
    Console.WriteLine("Each benchmark prints progress on stderr and one JSON line with its figures on stdout.");
    return args.Length == 0 ? 2 : 0;
}

if (args[0] == "list")
{
    var namesOnly = args.Contains("--names");
    var width = benchmarks.ByName.Keys.Select(n => n.Length).DefaultIfEmpty(0).Max();
    foreach (var (name, benchmark) in benchmarks.ByName.OrderBy(b => b.Key, StringComparer.Ordinal))
    {
        Console.WriteLine(namesOnly ? name : $"{name.PadRight(width)}  {benchmark.Description}");
    }

    return 0;
}

if (!benchmarks.ByName.TryGetValue(args[0], out var chosen))
{
    Console.Error.WriteLine($"shoal-bench: no benchmark named '{args[0]}' (see 'list')");
    return 2;
}

// Ctrl-C / SIGTERM cancel the token once; a second Ctrl-C kills the process.
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext signal)
{
    if (!stop.IsCancellationRequested)
    {
        signal.Cancel = true;
        stop.Cancel();
    }
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
try
{
    return await chosen.RunAsync(args[1..], stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine($"shoal-bench: {chosen.Name} cancelled");
    return 130;
}

namespace Shoal.Bench
{
    /// <summary>The benchmarks found by reflection, by name.</summary>
    internal sealed class BenchmarkCatalog
    {
        private BenchmarkCatalog(Dictionary<string, IBenchmark> byName, List<string> duplicates)
        {
            ByName = byName;
            Duplicates = duplicates;
        }

        public IReadOnlyDictionary<string, IBenchmark> ByName { get; }

        /// <summary>Names that more than one class claims (an error: the runner refuses to start).</summary>
        public IReadOnlyList<string> Duplicates { get; }

        /// <summary>
        /// Instantiates every concrete <see cref="IBenchmark"/> with a parameterless constructor
        /// in <paramref name="assembly"/>.
        /// </summary>
        public static BenchmarkCatalog Discover(Assembly assembly)
        {
            var byName = new Dictionary<string, IBenchmark>(StringComparer.Ordinal);
            var duplicates = new List<string>();
            var types = assembly.GetTypes()
                .Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false }
                            && typeof(IBenchmark).IsAssignableFrom(t)
                            && t.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is not null);
            foreach (var type in types)
            {
                var benchmark = (IBenchmark)Activator.CreateInstance(type, nonPublic: true)!;
                if (!byName.TryAdd(benchmark.Name, benchmark))
                {
                    duplicates.Add(benchmark.Name);
                }
            }

            return new BenchmarkCatalog(byName, duplicates);
        }
    }
}
