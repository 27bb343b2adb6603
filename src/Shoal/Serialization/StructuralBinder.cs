using System.Collections;
using System.Runtime.CompilerServices;

namespace Shoal.Serialization;

/// <summary>
/// Turns an argument that holds futures somewhere inside (dictionaries, lists, arrays, sets, tuples, at any depth,
/// mixed with plain values) into a value of the parameter's type, each future replaced by its result: a
/// <c>Dictionary&lt;string, Future&lt;int&gt;&gt;</c> becomes the <c>Dictionary&lt;string, int&gt;</c> the function
/// takes (Dask replaces futures in any container of a task's arguments). Parts that already fit are kept as they are;
/// a future whose parameter slot is itself a future type stays a future (its <c>Result</c> resolves on the worker).
/// </summary>
internal static class StructuralBinder
{
    private const int MaxDepth = 16;

    /// <summary>
    /// What a dependency value function returns for a future to leave out (a gather with errors skipped): the
    /// entry or item holding it is dropped from its dictionary, list, array or set.
    /// </summary>
    public static readonly object Skipped = new();

    /// <summary>True when <paramref name="value"/> does not fit <paramref name="parameter"/> as it is but may once its futures are replaced.</summary>
    public static bool Needs(object value, Type parameter) =>
        !parameter.IsInstanceOfType(value) && FutureScanner.MayHoldFutures(value.GetType());

    /// <exception cref="ArgumentException">The value's shape does not match the parameter's; the message names the path.</exception>
    public static object? Convert(object? value, Type target, Func<string, object?> dependencyValue, string path, int depth = 0)
    {
        if (value is null) return null;
        if (depth > MaxDepth) throw new ArgumentException($"{path}: nested deeper than {MaxDepth} levels");
        if (value is IFutureReference future)
        {
            if (typeof(IFutureReference).IsAssignableFrom(target)) return FutureReferences.Adapt(future, target);
            return Fit(dependencyValue(future.Key), target, path + $" (future {future.Key})");
        }

        if (target.IsInstanceOfType(value) && !FutureScanner.MayHoldFutures(value.GetType())) return value;
        var nullable = Nullable.GetUnderlyingType(target);
        if (nullable is not null) return Convert(value, nullable, dependencyValue, path, depth);
        if (target == typeof(object)) target = value.GetType();

        switch (value)
        {
            case IDictionary dictionary when DictionaryTypes(target) is var (keyType, valueType, made):
            {
                var result = (IDictionary)Activator.CreateInstance(made)!;
                var e = dictionary.GetEnumerator();
                while (e.MoveNext())
                {
                    var key = Convert(e.Key, keyType, dependencyValue, path + "[key]", depth + 1)!;
                    var item = Convert(e.Value, valueType, dependencyValue, $"{path}[{e.Key}]", depth + 1);
                    if (!ReferenceEquals(key, Skipped) && !ReferenceEquals(item, Skipped)) result[key] = item;
                }

                return result;
            }
            case ITuple tuple when IsTuple(target) && target.GetGenericArguments() is { } items && items.Length == tuple.Length:
            {
                var converted = new object?[tuple.Length];
                for (var i = 0; i < converted.Length; i++)
                {
                    converted[i] = Convert(tuple[i], items[i], dependencyValue, $"{path}.Item{i + 1}", depth + 1);
                    if (ReferenceEquals(converted[i], Skipped)) return Skipped; // a tuple cannot lose an item: its container drops it whole
                }
                return Activator.CreateInstance(target, converted);
            }
            case IEnumerable sequence when value is not string && SequenceTypes(target) is var (element, made):
            {
                var list = new List<object?>();
                var i = 0;
                foreach (var item in sequence)
                {
                    var converted = Convert(item, element, dependencyValue, $"{path}[{i++}]", depth + 1);
                    if (!ReferenceEquals(converted, Skipped)) list.Add(converted);
                }
                if (made.IsArray)
                {
                    var array = Array.CreateInstance(element, list.Count);
                    for (var k = 0; k < list.Count; k++) array.SetValue(list[k], k);
                    return array;
                }

                var collection = Activator.CreateInstance(made)!;
                if (collection is IList sink)
                {
                    foreach (var item in list) sink.Add(item);
                }
                else
                {
                    var add = made.GetMethod("Add", [element])!; // HashSet<T>: no non-generic Add
                    foreach (var item in list) add.Invoke(collection, [item]);
                }

                return collection;
            }
        }

        if (target.IsInstanceOfType(value)) return value; // a user type holding futures: they resolve through Result
        throw new ArgumentException($"{path} is a {TypeIdentity.DisplayName(value.GetType())}, which cannot become the {TypeIdentity.DisplayName(target)} the function takes");
    }

    private static object? Fit(object? value, Type target, string path)
    {
        if (value is null || target.IsInstanceOfType(value) || ReferenceEquals(value, Skipped)) return value;
        var underlying = Nullable.GetUnderlyingType(target) ?? target;
        if (value is IConvertible && (underlying.IsPrimitive || underlying == typeof(decimal)))
        {
            try { return System.Convert.ChangeType(value, underlying, System.Globalization.CultureInfo.InvariantCulture); }
            catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException) { }
        }

        throw new ArgumentException($"{path} is a {TypeIdentity.DisplayName(value.GetType())}, but the function takes a {TypeIdentity.DisplayName(target)} there");
    }

    private static bool IsTuple(Type type) => ValueKinds.Of(type).Kind is ValueKind.ValueTuple or ValueKind.Tuple;

    /// <summary>(key type, value type, the dictionary type to make) for a dictionary-like target, or null.</summary>
    private static (Type, Type, Type)? DictionaryTypes(Type target)
    {
        if (!target.IsConstructedGenericType || target.GetGenericArguments().Length != 2) return null;
        var args = target.GetGenericArguments();
        var made = typeof(Dictionary<,>).MakeGenericType(args);
        return target.IsAssignableFrom(made) ? (args[0], args[1], made) : null;
    }

    /// <summary>(element type, the collection type to make) for an array, list, set or sequence target, or null.</summary>
    private static (Type, Type)? SequenceTypes(Type target)
    {
        if (target.IsSZArray) return (target.GetElementType()!, target);
        if (target == typeof(IEnumerable)) return (typeof(object), typeof(object[]));
        if (!target.IsConstructedGenericType || target.GetGenericArguments().Length != 1) return null;
        var element = target.GetGenericArguments()[0];
        var list = typeof(List<>).MakeGenericType(element);
        if (target.IsAssignableFrom(list)) return (element, list);
        var set = typeof(HashSet<>).MakeGenericType(element);
        return target.IsAssignableFrom(set) ? (element, set) : null;
    }
}
