using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;

namespace Shoal.Serialization;

/// <summary>
/// Which fields of a closure a lambda actually uses. The C# compiler puts every local captured by
/// any lambda of a scope into ONE display class, so a lambda's closure also holds its neighbours'
/// captures: a <c>StringWriter</c> captured by a logging lambda next door must not stop
/// <c>() =&gt; n + 1</c> from travelling. The answer comes from the lambda's IL (the fields it
/// loads or stores, and those of compiler-generated methods it calls), extended at run time
/// through captured delegates whose targets are closures too (they may share the same object).
/// Null means "could not tell": every field is used.
/// </summary>
internal static class ClosureFields
{
    private const int MaxDepth = 16;
    private static readonly ConcurrentDictionary<MethodInfo, HashSet<(Module, int)>?> FieldsByMethod = new();
    private static readonly Lazy<Dictionary<short, OpCode>> OpCodeTable = new(BuildOpCodeTable);

    /// <summary>The closure fields <paramref name="function"/> and the closure delegates it reaches use; null when unknown (use all).</summary>
    public static IReadOnlySet<(Module, int)>? UsedBy(Delegate function)
    {
        var target = function.Target;
        if (target is null || !ClosureTypes.IsDisplayClass(target.GetType())) return null;
        if (FieldsOf(function.Method) is not { } first) return null;
        var used = new HashSet<(Module, int)>(first);
        var methods = new HashSet<MethodInfo> { function.Method };
        while (true)
        {
            // Walk the closure objects through the fields used so far; closure delegates found there
            // may use more fields (of the same objects, too): repeat until nothing new turns up.
            var found = new List<MethodInfo>();
            if (!Reach(target, used, new HashSet<object>(ReferenceEqualityComparer.Instance), found, 0)) return null;
            var grew = false;
            foreach (var method in found)
            {
                if (!methods.Add(method)) continue;
                if (FieldsOf(method) is not { } fields) return null;
                var before = used.Count;
                used.UnionWith(fields);
                grew |= used.Count != before;
            }

            if (!grew) break;
        }

        return used;
    }

    /// <summary>True when <paramref name="field"/> is in <paramref name="used"/> (null: everything is).</summary>
    public static bool IsUsed(IReadOnlySet<(Module, int)>? used, FieldInfo field) =>
        used is null || used.Contains((field.Module, field.MetadataToken));

    /// <summary>Walks closure objects through used fields, queueing closure delegates found there.</summary>
    private static bool Reach(object obj, HashSet<(Module, int)> used, HashSet<object> seen, List<MethodInfo> found, int depth)
    {
        if (depth > MaxDepth || !seen.Add(obj)) return true;
        foreach (var field in ClosureTypes.InstanceFieldsOf(obj.GetType()))
        {
            if (!used.Contains((field.Module, field.MetadataToken))) continue;
            switch (field.GetValue(obj))
            {
                case Delegate d when d.Target is { } t && ClosureTypes.IsDisplayClass(t.GetType()):
                    found.Add(d.Method);
                    if (!Reach(t, used, seen, found, depth + 1)) return false;
                    break;
                case { } value when ClosureTypes.IsDisplayClass(value.GetType()):
                    if (!Reach(value, used, seen, found, depth + 1)) return false;
                    break;
            }
        }

        return true;
    }

    /// <summary>Fields a method loads, stores or takes the address of, with those of the compiler-generated methods it calls.</summary>
    private static HashSet<(Module, int)>? FieldsOf(MethodInfo method) => FieldsByMethod.GetOrAdd(method, static m =>
    {
        var fields = new HashSet<(Module, int)>();
        return Scan(m, fields, new HashSet<MethodBase>(), 0) ? fields : null;
    });

    private static bool Scan(MethodBase method, HashSet<(Module, int)> fields, HashSet<MethodBase> visited, int depth)
    {
        if (depth > MaxDepth || !visited.Add(method)) return true;
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            return false;
        }

        if (il is null) return false;

        // An async or iterator lambda's body runs in its state machine's MoveNext, reached through no call in the IL.
        if (method.GetCustomAttribute<System.Runtime.CompilerServices.StateMachineAttribute>() is { StateMachineType: { } machine }
            && machine.GetMethod("MoveNext", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic) is { } moveNext
            && !Scan(moveNext, fields, visited, depth + 1))
        {
            return false;
        }

        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var table = OpCodeTable.Value;
        for (var i = 0; i < il.Length;)
        {
            short value = il[i];
            if (value == 0xFE && i + 1 < il.Length) value = (short)(0xFE00 | il[i + 1]);
            if (!table.TryGetValue(value, out var op)) return false;
            i += op.Size;
            switch (op.OperandType)
            {
                case OperandType.InlineField:
                    if (op == OpCodes.Ldfld || op == OpCodes.Ldflda || op == OpCodes.Stfld)
                    {
                        var field = module.ResolveField(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                        if (field is not null) fields.Add((field.Module, field.MetadataToken));
                    }

                    i += 4;
                    break;
                case OperandType.InlineMethod:
                    var callee = module.ResolveMethod(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                    // Lambdas and local functions of the same scope live on compiler-generated types.
                    if (callee?.DeclaringType is { } declaring && (ClosureTypes.IsDisplayClass(declaring) || declaring == method.DeclaringType)
                        && !callee.IsAbstract && !Scan(callee, fields, visited, depth + 1))
                    {
                        return false;
                    }

                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    var count = BitConverter.ToInt32(il, i);
                    i += 4 + 4 * count;
                    break;
                default:
                    i += OperandSize(op.OperandType);
                    break;
            }
        }

        return true;
    }

    private static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };

    private static Dictionary<short, OpCode> BuildOpCodeTable() =>
        typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(op => op.Value);
}
