using System.Collections;
using System.Runtime.CompilerServices;

namespace Shoal.Serialization;

/// <summary>
/// Finds futures nested inside values (tuples, arrays, lists, sets, dictionaries), so that they
/// count as dependencies and <c>Result</c> works on the worker. Only walks containers whose
/// static types can hold a future: a <c>List&lt;int&gt;</c> or a <c>double[]</c> is never scanned.
/// </summary>
internal static class FutureScanner
{
    private const int MaxDepth = 16;
    private static readonly TypeCache<bool> MayHold = new();

    public static void Collect(object? value, List<string> keys, int depth = 0)
    {
        if (value is null || depth > MaxDepth) return;
        if (value is IFutureReference future)
        {
            if (future is FutureListArg list)
                foreach (var f in list.Items) keys.Add(f.Key);
            else
                keys.Add(future.Key);
            return;
        }
        var type = value.GetType();
        if (!MayHoldFutures(type)) return;
        switch (value)
        {
            case IDictionary dictionary:
                var e = dictionary.GetEnumerator();
                while (e.MoveNext())
                {
                    Collect(e.Key, keys, depth + 1);
                    Collect(e.Value, keys, depth + 1);
                }
                return;
            case ITuple tuple:
                for (var i = 0; i < tuple.Length; i++) Collect(tuple[i], keys, depth + 1);
                return;
            case IEnumerable items when ValueKinds.Of(type).Kind is ValueKind.ObjectArray or ValueKind.List or ValueKind.HashSet:
                foreach (var item in items) Collect(item, keys, depth + 1);
                return;
        }

        if (ValueKinds.Of(type).Kind == ValueKind.Json)
        {
            foreach (var member in JsonMembers(type)) Collect(member.Get(value), keys, depth + 1);
        }
    }

    /// <summary>The members System.Text.Json writes (public instance properties and fields) that may hold a future.</summary>
    private static (Type Type, Func<object, object?> Get)[] JsonMembers(Type type) => Members.GetOrAdd(type, static t =>
    [
        .. t.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0)
            .Select(p => (p.PropertyType, (Func<object, object?>)p.GetValue)),
        .. t.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Select(f => (f.FieldType, (Func<object, object?>)f.GetValue)),
    ]);

    private static readonly TypeCache<(Type Type, Func<object, object?> Get)[]> Members = new();

    /// <summary>True if a value of this (runtime) type may contain a future somewhere inside.</summary>
    public static bool MayHoldFutures(Type type) => MayHold.GetOrAdd(type, static t => Compute(t, 0));

    private static bool Compute(Type type, int depth)
    {
        if (depth > 8) return true;
        if (typeof(IFutureReference).IsAssignableFrom(type)) return true;
        if (type == typeof(object) || type.IsInterface || (type.IsAbstract && !type.IsSealed)) return true;
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || UnmanagedTypes.IsUnmanaged(type)) return false;
        if (type.IsArray) return Compute(type.GetElementType()!, depth + 1);
        var kind = ValueKinds.Of(type).Kind;
        if (kind is ValueKind.List or ValueKind.HashSet or ValueKind.Dictionary or ValueKind.ValueTuple or ValueKind.Tuple)
            return type.GetGenericArguments().Any(a => Compute(a, depth + 1));
        // A record or class that travels as JSON: through the members it writes (a record's Future<T> property).
        if (kind == ValueKind.Json && !type.IsGenericTypeDefinition)
            return JsonMembers(type).Any(m => m.Type != type && typeof(IFutureReference).IsAssignableFrom(m.Type) || m.Type != type && !m.Type.IsInterface && m.Type != typeof(object) && Compute(m.Type, depth + 1));
        return false;
    }
}
