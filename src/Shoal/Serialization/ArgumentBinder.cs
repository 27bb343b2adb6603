using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace Shoal.Serialization;

/// <summary>
/// Replaces futures among a task's arguments by their values: a future by its value, a sequence
/// of futures by an array or list of values shaped like the parameter (int[] → int[];
/// List/IList/IReadOnlyList/IEnumerable&lt;int&gt; → List&lt;int&gt;).
/// </summary>
internal static class ArgumentBinder
{
    private static readonly TypeCache<Func<object?[], object>> ListBuilders = new();

    public static object? Bind(object? arg, Type parameter, int index, FunctionSpec function, Func<string, object?> dependencyValue)
    {
        switch (arg)
        {
            case FutureArg future:
                if (IsFutureType(parameter)) return FutureReferences.Adapt(future, parameter);
                return Coerce(dependencyValue(future.Key), parameter, index, function, future.Key);
            case FutureListArg list:
                return BindList(list, parameter, index, function, dependencyValue);
            case not null when StructuralBinder.Needs(arg, parameter):
                return StructuralBinder.Convert(arg, parameter, dependencyValue, $"argument {index} of {MethodIdentity.Describe(function.Method)}");
            default:
                return arg;
        }
    }

    private static bool IsFutureType(Type type) => typeof(IFutureReference).IsAssignableFrom(type);

    private static object BindList(FutureListArg list, Type parameter, int index, FunctionSpec function, Func<string, object?> dependencyValue)
    {
        Type element;
        bool asArray;
        if (parameter.IsSZArray) { element = parameter.GetElementType()!; asArray = true; }
        else if (parameter == typeof(object) || parameter == typeof(IEnumerable)) { element = typeof(object); asArray = true; }
        else if (parameter.IsConstructedGenericType && parameter.GetGenericArguments().Length == 1
                 && parameter.IsAssignableFrom(typeof(List<>).MakeGenericType(parameter.GetGenericArguments()[0])))
        { element = parameter.GetGenericArguments()[0]; asArray = false; }
        else
            throw new ArgumentException(
                $"argument {index} of {MethodIdentity.Describe(function.Method)} is a list of futures, but its parameter is a {TypeIdentity.DisplayName(parameter)}; " +
                "use an array, List<T>, IList<T>, IReadOnlyList<T> or IEnumerable<T> parameter");
        var items = list.Items;
        var values = new object?[items.Length];
        var elementIsFuture = IsFutureType(element);
        for (var i = 0; i < items.Length; i++)
            values[i] = elementIsFuture
                ? FutureReferences.Adapt(items[i], element)
                : Coerce(dependencyValue(items[i].Key), element, index, function, items[i].Key);
        if (!asArray)
            return ListBuilders.GetOrAdd(element, static t =>
                typeof(ArgumentBinder).GetMethod(nameof(ToList), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(t).CreateDelegate<Func<object?[], object>>())(values);
        if (element == typeof(object)) return values;
        var array = Array.CreateInstance(element, values.Length);
        for (var i = 0; i < values.Length; i++) array.SetValue(values[i], i);
        return array;
    }

    private static object ToList<T>(object?[] values)
    {
        var list = new List<T>(values.Length);
        foreach (var v in values) list.Add((T)v!);
        return list;
    }

    private static object? Coerce(object? value, Type type, int index, FunctionSpec function, string key)
    {
        if (value is null)
        {
            if (type.IsValueType && Nullable.GetUnderlyingType(type) is null)
                throw new ArgumentException($"argument {index} of {MethodIdentity.Describe(function.Method)}: dependency {key} is null but the parameter is a {TypeIdentity.DisplayName(type)}");
            return null;
        }
        if (type.IsInstanceOfType(value)) return value;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (value is IConvertible && (target.IsPrimitive || target == typeof(decimal)))
        {
            try { return Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture); }
            catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException) { }
        }
        throw new ArgumentException(
            $"argument {index} of {MethodIdentity.Describe(function.Method)}: dependency {key} is a {TypeIdentity.DisplayName(value.GetType())} but the parameter is a {TypeIdentity.DisplayName(type)}");
    }
}
