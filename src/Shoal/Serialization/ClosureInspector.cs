using System.Collections;
using System.Reflection;
using System.Reflection.Emit;

namespace Shoal.Serialization;

/// <summary>
/// Checks at submit time that a delegate can travel, and collects the futures its closure
/// captures. Failures name the closure field and say why.
/// </summary>
internal sealed class ClosureInspector(ClosureOptions options, IReadOnlySet<(System.Reflection.Module, int)>? used = null)
{
    private const int MaxDepth = 32;

    private readonly HashSet<object> _visited = new(ReferenceEqualityComparer.Instance);

    public List<string> Dependencies { get; } = new();

    public void InspectDelegate(Delegate function, string path, int depth = 0)
    {
        if (depth > MaxDepth) throw new ClosureCaptureException($"closure field '{path}' nests delegates more than {MaxDepth} deep", path);
        var where = path.Length == 0 ? "the delegate" : $"closure field '{path}'";
        if (function.HasSingleTarget is false)
            throw new ClosureCaptureException($"{where} is a multicast delegate (several methods combined); submit one method at a time", NullIfEmpty(path));
        var method = function.Method;
        if (method is DynamicMethod || method.GetType().FullName?.Contains("RTDynamicMethod", StringComparison.Ordinal) == true
            || method.DeclaringType is null || method.Module.Assembly.IsDynamic)
            throw new ClosureCaptureException(
                $"{where} calls '{method.Name}', a dynamic method without metadata (Expression.Compile, DynamicMethod or Reflection.Emit); " +
                "it cannot be shipped to workers: use a lambda or a static method", NullIfEmpty(path));
        var target = function.Target;
        if (target is null || !_visited.Add(function)) return;
        if (method.IsStatic)
        {
            // A static method closed over its first argument (an extension method delegate).
            InspectValue(Join(path, "<first argument>"), target, depth + 1);
            return;
        }
        InspectObject(target, path, depth + 1);
    }

    private void InspectObject(object target, string path, int depth)
    {
        var type = target.GetType();
        if (!_visited.Add(target)) return; // closures share scopes, and a lambda may capture a delegate over its own scope
        if (depth > MaxDepth) throw new ClosureCaptureException($"closure field '{path}' nests closures more than {MaxDepth} deep", path);
        if (!ClosureTypes.IsDisplayClass(type))
        {
            if (Travel.WhyNot(type) is { } notTravelling)
                throw new ClosureCaptureException(Describe(path, type, notTravelling), NullIfEmpty(path), type);
            if (ClosureTypes.PrivateStateOf(type) is { } privateState)
            {
                var message = path.Length == 0
                    ? $"the delegate's target is a {TypeIdentity.DisplayName(type)} ({privateState}); use a lambda that captures only the values you need, or a static method"
                    : $"closure field '{path}' captures {TypeIdentity.DisplayName(type)} ({privateState}); capture only the values you need";
                throw new ClosureCaptureException(message, NullIfEmpty(path), type);
            }
        }
        var display = ClosureTypes.IsDisplayClass(type);
        foreach (var field in ClosureTypes.InstanceFieldsOf(type))
        {
            // A neighbouring lambda's captures share the display class; they do not travel with this one.
            if (display && !ClosureFields.IsUsed(used, field)) continue;
            var name = Join(path, field.Name);
            if (field.FieldType.IsPointer || field.FieldType.IsFunctionPointer)
                throw new ClosureCaptureException($"closure field '{name}' is a pointer ({field.FieldType}); pointers only mean something in this process", name, field.FieldType);
            var value = field.GetValue(target);
            if (value is null) continue;
            var valueType = value.GetType();
            if (ClosureTypes.IsDisplayClass(valueType) || field.Name == "<>4__this")
                InspectObject(value, name, depth + 1);
            else
                InspectValue(name, value, depth + 1);
        }
    }

    private void InspectValue(string path, object value, int depth)
    {
        switch (value)
        {
            case IFutureReference future:
                Dependencies.Add(future.Key);
                return;
            case Delegate nested:
                InspectDelegate(nested, path, depth + 1);
                return;
        }
        var type = value.GetType();
        var (kind, reason) = ValueKinds.Of(type);
        if (kind == ValueKind.CannotTravel)
            throw new ClosureCaptureException(Describe(path, type, reason!), path, type);
        if (kind == ValueKind.Json && ClosureTypes.IsDisplayClass(type) is false
            && FindNonTravellingField(type) is { } bad)
            throw new ClosureCaptureException(Describe(path, type, bad), path, type);
        if (kind is ValueKind.ObjectArray or ValueKind.List or ValueKind.HashSet && FutureScanner.MayHoldFutures(type) && value is IEnumerable items)
        {
            foreach (var item in items)
                if (item is not null && ValueKinds.Of(item.GetType()).Kind == ValueKind.CannotTravel)
                    throw new ClosureCaptureException(Describe(path, item.GetType(), ValueKinds.Of(item.GetType()).Reason!) + " (inside a collection)", path, item.GetType());
        }
        FutureScanner.Collect(value, Dependencies);
        var size = SizeEstimator.Estimate(value, ValueSerializer.Default, options.LargeCaptureWarningBytes + 1);
        if (size > options.LargeCaptureWarningBytes)
            options.Warn($"closure field '{path}' captures a {TypeIdentity.DisplayName(type)} of about {size / (1024 * 1024.0):F1} MB; " +
                "it travels with every task that uses this delegate. Send it once with client.ScatterAsync(...) and pass the future instead");
    }

    /// <summary>A public field or property of a JSON-serialized type whose value cannot travel.</summary>
    private static string? FindNonTravellingField(Type type)
    {
        foreach (var f in ClosureTypes.InstanceFieldsOf(type))
        {
            if (f.FieldType.IsPointer || f.FieldType.IsFunctionPointer) return $"its field {f.Name} is a pointer";
            if (Travel.WhyNot(f.FieldType) is { } r) return $"its field {f.Name}: {r}";
        }
        return null;
    }

    private static string Describe(string path, Type type, string reason) =>
        path.Length == 0
            ? $"the delegate's target {TypeIdentity.DisplayName(type)} cannot travel: {reason}"
            : $"closure field '{path}' captures a {TypeIdentity.DisplayName(type)}: {reason}; create it inside the task instead";

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string? NullIfEmpty(string path) => path.Length == 0 ? null : path;
}
