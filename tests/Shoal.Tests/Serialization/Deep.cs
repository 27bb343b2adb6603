using System.Collections;
using System.Runtime.CompilerServices;

namespace Shoal.Tests.Serialization;

/// <summary>Structural equality for round-trip assertions (same runtime type, same contents).</summary>
internal static class Deep
{
    public static void ShouldRoundTrip(object? expected, object? actual)
    {
        if (expected is null) { actual.ShouldBeNull(); return; }
        actual.ShouldNotBeNull();
        actual.GetType().ShouldBe(expected.GetType());
        Equal(expected, actual).ShouldBeTrue($"round trip of {expected.GetType()} changed the value");
    }

    private static bool Equal(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.GetType() != b.GetType()) return false;
        switch (a)
        {
            case string: return a.Equals(b);
            case IDictionary da:
                var db = (IDictionary)b;
                if (da.Count != db.Count) return false;
                foreach (DictionaryEntry e in da)
                    if (!db.Contains(e.Key) || !Equal(e.Value, db[e.Key])) return false;
                return true;
            case ITuple ta:
                var tb = (ITuple)b;
                for (var i = 0; i < ta.Length; i++) if (!Equal(ta[i], tb[i])) return false;
                return true;
            case Array aa:
                var ab = (Array)b;
                if (aa.Rank != ab.Rank) return false;
                for (var d = 0; d < aa.Rank; d++) if (aa.GetLength(d) != ab.GetLength(d)) return false;
                return aa.Cast<object?>().Zip(ab.Cast<object?>()).All(p => Equal(p.First, p.Second));
            case IEnumerable ea when a.GetType().IsGenericType && a.GetType().GetGenericTypeDefinition() == typeof(HashSet<>):
                var setB = ((IEnumerable)b).Cast<object?>().ToList();
                var setA = ea.Cast<object?>().ToList();
                return setA.Count == setB.Count && setA.All(x => setB.Any(y => Equal(x, y)));
            case IEnumerable ea:
                var la = ea.Cast<object?>().ToList();
                var lb = ((IEnumerable)b).Cast<object?>().ToList();
                return la.Count == lb.Count && la.Zip(lb).All(p => Equal(p.First, p.Second));
            default:
                // Records holding lists compare those by reference; compare user types by their JSON instead.
                return a.Equals(b) || (a.GetType().Namespace?.StartsWith("System", StringComparison.Ordinal) != true
                    && System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b));
        }
    }
}
