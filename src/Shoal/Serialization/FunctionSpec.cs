using System.Reflection;
using System.Runtime.CompilerServices;
using Shoal.Code;
using Shoal.Protocol;

namespace Shoal.Serialization;

/// <summary>
/// A delegate ready to travel: its method, its (checked) target and the futures its closure
/// captures. Build one per delegate with <see cref="For"/> and reuse it for every task that runs
/// the same delegate (Map): its wire form is produced once and shared, so each task only pays
/// for its own arguments.
/// </summary>
internal sealed class FunctionSpec
{
    private static readonly ConditionalWeakTable<Delegate, FunctionSpec> Stateless = new();

    private readonly MethodInvoker _invoker;
    private readonly ResultKind _resultKind;
    private readonly bool _closedStatic;
    private Segment[]? _segments;
    private CodeSet? _code;

    private FunctionSpec(MethodInfo method, object? target, string[] dependencyKeys, Delegate? function)
    {
        Method = method;
        Target = target;
        Delegate = function;
        DependencyKeys = dependencyKeys;
        _closedStatic = method.IsStatic && target is not null;
        var parameters = method.GetParameters();
        if (_closedStatic) parameters = parameters[1..];
        ParameterTypes = Array.ConvertAll(parameters, p => p.ParameterType);
        (_resultKind, ResultType) = TaskResults.Classify(method.ReturnType);
        _invoker = MethodInvoker.Create(method);
    }

    /// <summary>The method that runs.</summary>
    public MethodInfo Method { get; }

    /// <summary>The delegate's target (closure object), or null for a static method.</summary>
    public object? Target { get; }

    /// <summary>The original delegate (client side); null after deserialization.</summary>
    public Delegate? Delegate { get; }

    /// <summary>Keys of the futures captured by the closure (also nested closures).</summary>
    public IReadOnlyList<string> DependencyKeys { get; }

    /// <summary>The parameter types the task's arguments bind to.</summary>
    public IReadOnlyList<Type> ParameterTypes { get; }

    /// <summary>The task's result type (T for Task&lt;T&gt;/ValueTask&lt;T&gt;; <c>void</c> for none).</summary>
    public Type ResultType { get; }

    /// <summary>The assemblies a worker needs to run this function (computed on first use, client side).</summary>
    public CodeSet Code => _code ??= ComputeCode();

    /// <summary>
    /// Checks that <paramref name="function"/> can travel and captures its closure.
    /// A delegate without closure state (a static lambda) gets the same instance every time.
    /// </summary>
    /// <exception cref="ClosureCaptureException">The delegate cannot travel; the message names the field and the reason.</exception>
    public static FunctionSpec For(Delegate function, ClosureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (Stateless.TryGetValue(function, out var cached)) return cached;
        var used = ClosureFields.UsedBy(function);
        var inspector = new ClosureInspector(options ?? ClosureOptions.Default, used);
        inspector.InspectDelegate(function, "");
        var spec = new FunctionSpec(function.Method, function.Target, [.. inspector.Dependencies.Distinct()], function) { UsedFields = used };
        var target = function.Target;
        if (target is null || (ClosureTypes.IsDisplayClass(target.GetType()) && ClosureTypes.InstanceFieldsOf(target.GetType()).Length == 0))
            Stateless.AddOrUpdate(function, spec);
        return spec;
    }

    /// <summary>The wire form of the function block (cached): segment 0 and the closure's out-of-band segments.</summary>
    internal Segment[] GetSegments(ValueCodecRegistry codecs)
    {
        if (_segments is { } done) return done;
        var w = new ValueWriter();
        WriteBody(w, codecs, 0);
        var header = new ValueWriter();
        header.WriteByte(TaskRunSpec.FormatVersion);
        header.WriteVarInt32(w.OutOfBand.Count);
        header.WriteBytes(w.Written);
        var segments = new Segment[1 + w.OutOfBand.Count];
        segments[0] = header.ToArray();
        for (var i = 0; i < w.OutOfBand.Count; i++) segments[i + 1] = w.OutOfBand[i];
        return _segments = segments;
    }

    private void WriteBody(ValueWriter w, ValueCodecRegistry codecs, int depth)
    {
        // The outermost function's filter covers the closure delegates it reaches (ClosureFields.UsedBy),
        // which may share closure objects with it: nested writes keep it rather than narrowing to their own.
        var outermost = !w.ClosureFilterActive;
        if (outermost)
        {
            w.ClosureFilter = UsedFields;
            w.ClosureFilterActive = true;
        }

        try
        {
            WriteMethodAndTarget(w, Method, Target, codecs, depth, w.ClosureFilter);
        }
        finally
        {
            if (outermost)
            {
                w.ClosureFilter = null;
                w.ClosureFilterActive = false;
            }
        }

        w.WriteVarInt32(DependencyKeys.Count);
        foreach (var key in DependencyKeys) w.WriteString(key);
    }

    /// <summary>The closure fields the function uses (null: all); the others travel as null.</summary>
    internal IReadOnlySet<(Module, int)>? UsedFields { get; private init; }

    private static void WriteMethodAndTarget(ValueWriter w, MethodInfo method, object? target, ValueCodecRegistry codecs, int depth, IReadOnlySet<(Module, int)>? used)
    {
        MethodIdentity.Write(w, method);
        if (target is null) w.WriteByte(0);
        else if (method.IsStatic)
        {
            w.WriteByte(2);
            ValueFormat.Write(w, target, codecs, depth + 1);
        }
        else
        {
            w.WriteByte(1);
            ClosureFormat.WriteFields(w, target, codecs, depth + 1, used);
        }
    }

    /// <summary>Writes a delegate found inside a value or closure (checked like a submitted one).</summary>
    internal static void WriteFunction(ValueWriter w, Delegate function, ValueCodecRegistry codecs, int depth)
    {
        var spec = For(function, new ClosureOptions { LargeCaptureWarningBytes = long.MaxValue });
        spec.WriteBody(w, codecs, depth);
    }

    /// <summary>Reads a function block written by <see cref="WriteBody"/>.</summary>
    internal static FunctionSpec ReadFunction(ref ValueReader r, ReadContext context, int depth)
    {
        var method = MethodIdentity.Read(ref r, context.Resolver);
        var kind = r.ReadByte();
        // Futures in a closure become objects of the field's type (FutureReferences), never argument placeholders.
        object? target = kind switch
        {
            0 => null,
            1 or 2 => ValueFormat.Read(ref r, context, depth + 1),
            _ => throw new ValueSerializationException($"malformed function block (target kind {kind})"),
        };
        var keys = new string[r.ReadVarInt32()];
        for (var i = 0; i < keys.Length; i++) keys[i] = r.ReadString();
        return new FunctionSpec(method, target, keys, null);
    }

    /// <summary>A delegate of <paramref name="delegateType"/> over this function.</summary>
    internal Delegate CreateDelegate(Type delegateType) =>
        Delegate is { } d && d.GetType() == delegateType ? d : Method.CreateDelegate(delegateType, Target);

    /// <summary>Calls the method; exceptions are not wrapped.</summary>
    internal object? InvokeRaw(object?[] args)
    {
        if (_closedStatic)
        {
            var all = new object?[args.Length + 1];
            all[0] = Target;
            args.CopyTo(all, 1);
            return _invoker.Invoke(null, all.AsSpan());
        }
        return args.Length switch
        {
            0 => _invoker.Invoke(Target),
            1 => _invoker.Invoke(Target, args[0]),
            2 => _invoker.Invoke(Target, args[0], args[1]),
            3 => _invoker.Invoke(Target, args[0], args[1], args[2]),
            4 => _invoker.Invoke(Target, args[0], args[1], args[2], args[3]),
            _ => _invoker.Invoke(Target, args.AsSpan()),
        };
    }

    internal Task<object?> UnwrapResult(object? result) => TaskResults.Unwrap(result, _resultKind, Method.ReturnType);

    private CodeSet ComputeCode()
    {
        var set = Delegate is { } d ? CodeSet.For(d) : CodeSet.ForType(Method.DeclaringType ?? typeof(object));
        if (Target is { } target) set = set.Union(ClosureCode(target, 0, UsedFields));
        return set;
    }

    private static CodeSet ClosureCode(object target, int depth, IReadOnlySet<(Module, int)>? used)
    {
        var set = CodeSet.ForType(target.GetType());
        if (depth > 8) return set;
        var display = ClosureTypes.IsDisplayClass(target.GetType());
        foreach (var field in ClosureTypes.InstanceFieldsOf(target.GetType()))
        {
            if (display && !ClosureFields.IsUsed(used, field)) continue;
            var value = field.GetValue(target);
            if (value is null) continue;
            set = set.Union(ClosureTypes.IsDisplayClass(value.GetType()) ? ClosureCode(value, depth + 1, used)
                : value is Delegate nested ? CodeSet.For(nested) : CodeSet.ForType(value.GetType()));
        }
        return set;
    }

    /// <inheritdoc />
    public override string ToString() => MethodIdentity.Describe(Method);
}
