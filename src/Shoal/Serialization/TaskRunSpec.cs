using System.Collections;
using Shoal.Code;
using Shoal.Protocol;

namespace Shoal.Serialization;

/// <summary>
/// The unit a task travels as: a function (<see cref="FunctionSpec"/>) and its arguments, with
/// the keys of the futures it depends on. In-process it travels by reference
/// (<see cref="Segment.FromObject"/>); across processes as <see cref="Serialize"/>'s segments:
/// <c>[function block][closure segments…][arguments][argument segments…]</c>.
/// </summary>
internal sealed class TaskRunSpec
{
    internal const byte FormatVersion = 1;

    private readonly object?[] _args;
    private CodeSet? _code;

    private TaskRunSpec(FunctionSpec function, object?[] args, IReadOnlyList<string> dependencyKeys)
    {
        Function = function;
        _args = args;
        DependencyKeys = dependencyKeys;
    }

    /// <summary>The function that runs.</summary>
    public FunctionSpec Function { get; }

    /// <summary>
    /// The arguments as they travel: values, and futures reduced to (key, value type), which
    /// <see cref="InvokeAsync"/> replaces by the dependencies' values.
    /// </summary>
    public IReadOnlyList<object?> Args => _args;

    /// <summary>Keys of every future in the arguments (also inside arrays, lists and sequences) and in the closure.</summary>
    public IReadOnlyList<string> DependencyKeys { get; }

    /// <summary>The assemblies a worker needs (the function's plus those of argument types); client side.</summary>
    public CodeSet Code => _code ??= ComputeCode();

    /// <summary>Creates a spec, checking now that the delegate can travel.</summary>
    /// <exception cref="ClosureCaptureException">The delegate's closure cannot travel; the message names the field.</exception>
    /// <exception cref="ArgumentException">The number of arguments does not match the delegate.</exception>
    public static TaskRunSpec Create(Delegate function, object?[] args, ClosureOptions? options = null) =>
        Create(FunctionSpec.For(function, options), args);

    /// <summary>Creates a spec for an already checked function (the fast path for many tasks of one delegate).</summary>
    /// <exception cref="ArgumentException">The number of arguments does not match the function.</exception>
    public static TaskRunSpec Create(FunctionSpec function, object?[] args)
    {
        ArgumentNullException.ThrowIfNull(function);
        args ??= [];
        if (args.Length != function.ParameterTypes.Count)
            throw new ArgumentException($"{function} takes {function.ParameterTypes.Count} arguments but {args.Length} were given", nameof(args));
        List<string>? keys = null;
        object?[]? normalized = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (function.ParameterTypes[i] == typeof(CancellationToken))
            {
                // The worker passes the task's own token (InvokeAsync); whatever the caller gave does not travel.
                if (arg is not null) (normalized ??= (object?[])args.Clone())[i] = null;
                continue;
            }
            if (arg is null || arg is string || arg.GetType().IsPrimitive) continue;
            object? replacement = null;
            if (arg is FutureListArg already)
            {
                keys ??= new();
                foreach (var f in already.Items) keys.Add(f.Key);
                continue;
            }
            if (arg is IFutureReference future)
            {
                replacement = future as FutureArg ?? new FutureArg(future.Key, future.ValueType);
                (keys ??= new()).Add(future.Key);
            }
            else if (arg is IEnumerable<IFutureReference> futures)
            {
                var items = futures.Select(f => f as FutureArg ?? new FutureArg(f.Key, f.ValueType)).ToArray();
                var valueType = items.Length > 0 && items.All(f => f.ValueType == items[0].ValueType) ? items[0].ValueType : typeof(object);
                replacement = new FutureListArg(items, valueType);
                keys ??= new();
                foreach (var f in items) keys.Add(f.Key);
            }
            else if (arg is IEnumerable sequence && arg is not ICollection && ValueKinds.Of(arg.GetType()).Kind == ValueKind.Json
                     && function.ParameterTypes[i] is var p && p.IsConstructedGenericType && p.GetGenericArguments().Length == 1)
            {
                // A lazy sequence (LINQ) for an IEnumerable<T>-like parameter: materialize it now.
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(p.GetGenericArguments()[0]))!;
                foreach (var item in sequence) list.Add(item);
                if (p.IsInstanceOfType(list)) replacement = list;
            }
            if (replacement is null)
            {
                // Futures deeper inside (a tuple, a dictionary, a list of lists) stay futures, but are dependencies.
                if (FutureScanner.MayHoldFutures(arg.GetType())) FutureScanner.Collect(arg, keys ??= new());
                continue;
            }
            normalized ??= (object?[])args.Clone();
            normalized[i] = replacement;
        }
        IReadOnlyList<string> dependencies = function.DependencyKeys;
        if (keys is not null)
        {
            foreach (var k in function.DependencyKeys) keys.Add(k);
            dependencies = keys.Distinct(StringComparer.Ordinal).ToArray();
        }
        return new TaskRunSpec(function, normalized ?? args, dependencies);
    }

    /// <summary>Serializes the spec: the function block (produced once per function and shared), then the arguments.</summary>
    /// <exception cref="ValueSerializationException">An argument or captured value cannot be serialized; the message names its type.</exception>
    public Segment[] Serialize(ValueSerializer? serializer = null)
    {
        var codecs = (serializer ?? ValueSerializer.Default).Codecs;
        var function = Function.GetSegments(codecs);
        var w = ValueWriter.Rent();
        try
        {
            w.WriteVarInt32(_args.Length);
            for (var i = 0; i < _args.Length; i++)
            {
                try { ValueFormat.Write(w, _args[i], codecs); }
                catch (ValueSerializationException e) when (e is not ClosureCaptureException)
                {
                    throw new ValueSerializationException($"argument {i} of {Function}: {e.Message}", e.ValueType, e);
                }
            }
            var segments = new Segment[function.Length + 1 + w.OutOfBand.Count];
            function.CopyTo(segments, 0);
            segments[function.Length] = w.ToArray();
            for (var i = 0; i < w.OutOfBand.Count; i++) segments[function.Length + 1 + i] = w.OutOfBand[i];
            return segments;
        }
        finally
        {
            ValueWriter.Return(w);
        }
    }

    /// <summary>
    /// A deterministic token of the function (method identity and captured values) and the
    /// arguments: identical submissions get identical tokens (for <c>prefix-token</c> keys, as
    /// Dask's tokenize). 32 hex digits. False when something cannot be serialized (then the
    /// caller should fall back to a unique key).
    /// </summary>
    public bool TryComputeToken(out string token)
    {
        try
        {
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            Span<byte> length = stackalloc byte[4];
            foreach (var segment in Serialize())
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, segment.Length);
                hash.AppendData(length);
                hash.AppendData(segment.Bytes.Span);
            }
            Span<byte> digest = stackalloc byte[32];
            hash.GetHashAndReset(digest);
            token = Convert.ToHexStringLower(digest[..16]);
            return true;
        }
        catch (ValueSerializationException)
        {
            token = "";
            return false;
        }
    }

    /// <summary>Reads a spec in a code context (worker side).</summary>
    public static TaskRunSpec Deserialize(ReadOnlySpan<Segment> segments, CodeContext context, ValueSerializer? serializer = null) =>
        Deserialize(segments, context.Resolver, serializer);

    /// <summary>
    /// Reads a spec; types and methods resolve through <paramref name="resolver"/> (default: the
    /// default load context). A single object segment is the spec itself (in-process).
    /// </summary>
    public static TaskRunSpec Deserialize(ReadOnlySpan<Segment> segments, TypeResolver? resolver = null, ValueSerializer? serializer = null)
    {
        if (segments.Length == 0) throw new ValueSerializationException("a task run spec needs at least one segment");
        if (segments[0].IsObject)
            return segments[0].Object as TaskRunSpec
                ?? throw new ValueSerializationException($"object segment holds a {segments[0].Object?.GetType().Name ?? "null"}, not a TaskRunSpec");
        resolver ??= TypeResolver.Default;
        var codecs = (serializer ?? ValueSerializer.Default).Codecs;
        var head = segments[0].Bytes;
        var header = new ValueReader(head.Span, default);
        var version = header.ReadByte();
        if (version != FormatVersion)
            throw new ValueSerializationException($"task run spec format {version} is not supported (this Shoal reads {FormatVersion})");
        var functionSegments = header.ReadVarInt32();
        if (segments.Length < 2 + functionSegments) throw new ValueSerializationException("malformed task run spec: too few segments");
        var bodyOffset = head.Length - header.Remaining;
        var function = ReadFunction(head, bodyOffset, segments.Slice(1, functionSegments), resolver, codecs);

        var argsReader = new ValueReader(segments[1 + functionSegments].Bytes.Span, segments[(2 + functionSegments)..]);
        var context = new ReadContext(resolver, codecs) { FuturesAsArgs = true };
        var args = new object?[argsReader.ReadVarInt32()];
        for (var i = 0; i < args.Length; i++) args[i] = ValueFormat.Read(ref argsReader, context);
        return Create(function, args);
    }

    private static FunctionSpec ReadFunction(ReadOnlyMemory<byte> head, int bodyOffset, ReadOnlySpan<Segment> outOfBand, TypeResolver resolver, ValueCodecRegistry codecs)
    {
        // Many tasks share one function block: decode it once per resolver.
        var cacheable = outOfBand.Length == 0 && head.Length <= 64 * 1024;
        if (cacheable && resolver.FunctionCache.TryGetValue(new ByteKey(head), out var cached)) return cached;
        var reader = new ValueReader(head.Span[bodyOffset..], outOfBand);
        var function = FunctionSpec.ReadFunction(ref reader, new ReadContext(resolver, codecs), 0);
        if (cacheable)
        {
            if (resolver.FunctionCache.Count > 10_000) resolver.FunctionCache.Clear();
            resolver.FunctionCache.TryAdd(new ByteKey(head).Detach(), function);
        }
        return function;
    }

    /// <summary>
    /// Runs the task: binds the arguments (futures become their dependencies' values), calls the
    /// function with <see cref="DependencyScope"/> set, and awaits a Task/ValueTask result.
    /// Exceptions from the function come out unwrapped, with their original stack trace.
    /// </summary>
    /// <param name="dependencyValue">The value of a dependency, by key.</param>
    /// <param name="cancellation">Passed to every parameter of type <see cref="CancellationToken"/>: tripped when the task is no longer wanted.</param>
    public Task<object?> InvokeAsync(Func<string, object?> dependencyValue, CancellationToken cancellation = default)
    {
        var function = Function;
        object? result;
        var entered = DependencyKeys.Count > 0;
        DependencyScope.Scope? previous = null;
        try
        {
            var parameters = function.ParameterTypes;
            var bound = _args;
            for (var i = 0; i < _args.Length; i++)
            {
                if (parameters[i] == typeof(CancellationToken))
                {
                    if (ReferenceEquals(bound, _args)) bound = (object?[])_args.Clone();
                    bound[i] = cancellation;
                    continue;
                }
                if (_args[i] is not IFutureReference && (_args[i] is null || !StructuralBinder.Needs(_args[i]!, parameters[i]))) continue;
                if (ReferenceEquals(bound, _args)) bound = (object?[])_args.Clone();
                bound[i] = ArgumentBinder.Bind(_args[i], parameters[i], i, function, dependencyValue);
            }
            if (entered) previous = DependencyScope.Enter(DependencyKeys, dependencyValue);
            result = function.InvokeRaw(bound);
        }
        catch (Exception e)
        {
            return Task.FromException<object?>(e);
        }
        finally
        {
            if (entered) DependencyScope.Restore(previous);
        }
        return function.UnwrapResult(result);
    }

    private CodeSet ComputeCode()
    {
        var set = Function.Code;
        foreach (var arg in _args)
            if (arg is not null && arg is not IFutureReference && !arg.GetType().IsPrimitive && arg is not string)
                set = set.Union(CodeSet.ForType(arg.GetType()));
        return set;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Function}({_args.Length} args, {DependencyKeys.Count} dependencies)";
}
