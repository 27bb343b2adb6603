using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Shoal.Protocol;

namespace Shoal.Serialization;

/// <summary>Read state shared by one deserialization.</summary>
internal sealed class ReadContext(TypeResolver resolver, ValueCodecRegistry codecs)
{
    public TypeResolver Resolver { get; } = resolver;
    public ValueCodecRegistry Codecs { get; } = codecs;

    /// <summary>When true, top-level futures become internal placeholders (task arguments) instead of factory futures.</summary>
    public bool FuturesAsArgs { get; init; }

    /// <summary>Closure objects read so far, by reference id (closures may share or cycle).</summary>
    public List<object> Objects { get; } = new();
}

/// <summary>
/// The value encoding: a tag byte, then the value. Primitives as raw little-endian memory,
/// unmanaged arrays as raw memory (large ones out of band, uncopied), containers recursively,
/// anything else through a user codec or System.Text.Json, with a type identity.
/// </summary>
internal static class ValueFormat
{
    /// <summary>Arrays at least this big travel as their own segment (no copy); smaller ones inline.</summary>
    public const int OutOfBandThreshold = 1024;

    private const int MaxChunk = 1 << 30;
    private const int MaxDepth = 100;

    private static readonly TypeCache<Func<object?[], object>> ListBuilders = new();
    private static readonly TypeCache<Func<object?[], object?, object>> SetBuilders = new();
    private static readonly TypeCache<Func<object?[], object?[], object?, object>> DictionaryBuilders = new();

    public static void Write(ValueWriter w, object? value, ValueCodecRegistry codecs, int depth = 0)
    {
        switch (value)
        {
            case null: w.WriteByte((byte)ValueTag.Null); return;
            case int i: w.WriteByte((byte)ValueTag.Int32); w.WriteInt32(i); return;
            case long l: w.WriteByte((byte)ValueTag.Int64); w.WriteInt64(l); return;
            case double d: w.WriteByte((byte)ValueTag.Double); w.WriteRaw(d); return;
            case string s: w.WriteByte((byte)ValueTag.String); w.WriteString(s); return;
            case bool b: w.WriteByte((byte)(b ? ValueTag.True : ValueTag.False)); return;
            case float f: w.WriteByte((byte)ValueTag.Single); w.WriteRaw(f); return;
            case byte u8: w.WriteByte((byte)ValueTag.Byte); w.WriteByte(u8); return;
            case sbyte i8: w.WriteByte((byte)ValueTag.SByte); w.WriteRaw(i8); return;
            case short i16: w.WriteByte((byte)ValueTag.Int16); w.WriteRaw(i16); return;
            case ushort u16: w.WriteByte((byte)ValueTag.UInt16); w.WriteRaw(u16); return;
            case uint u32: w.WriteByte((byte)ValueTag.UInt32); w.WriteRaw(u32); return;
            case ulong u64: w.WriteByte((byte)ValueTag.UInt64); w.WriteRaw(u64); return;
            case decimal m: w.WriteByte((byte)ValueTag.Decimal); w.WriteRaw(m); return;
            case char c: w.WriteByte((byte)ValueTag.Char); w.WriteRaw(c); return;
            case DateTime dt: w.WriteByte((byte)ValueTag.DateTime); w.WriteInt64(dt.ToBinary()); return;
            case Guid g: w.WriteByte((byte)ValueTag.Guid); w.WriteRaw(g); return;
            case TimeSpan ts: w.WriteByte((byte)ValueTag.TimeSpan); w.WriteInt64(ts.Ticks); return;
            case DateTimeOffset dto:
                w.WriteByte((byte)ValueTag.DateTimeOffset); w.WriteInt64(dto.Ticks); w.WriteInt64(dto.Offset.Ticks); return;
            case Half h: w.WriteByte((byte)ValueTag.Half); w.WriteRaw(h); return;
            case Int128 i128: w.WriteByte((byte)ValueTag.Int128); w.WriteRaw(i128); return;
            case UInt128 u128: w.WriteByte((byte)ValueTag.UInt128); w.WriteRaw(u128); return;
            case DateOnly date: w.WriteByte((byte)ValueTag.DateOnly); w.WriteInt32(date.DayNumber); return;
            case TimeOnly time: w.WriteByte((byte)ValueTag.TimeOnly); w.WriteInt64(time.Ticks); return;
        }
        if (depth > MaxDepth)
            throw new ValueSerializationException($"value nesting is deeper than {MaxDepth} at {TypeIdentity.DisplayName(value.GetType())} (a cycle?)", value.GetType());
        var type = value.GetType();
        if (!codecs.IsEmpty && codecs.Find(type) is { } codec)
        {
            WriteCodec(w, value, type, codec);
            return;
        }
        var (kind, reason) = ValueKinds.Of(type);
        switch (kind)
        {
            case ValueKind.Enum:
                w.WriteByte((byte)ValueTag.Enum);
                TypeIdentity.Write(w, type);
                w.WriteInt64(IsUnsigned(type) ? unchecked((long)Convert.ToUInt64(value)) : Convert.ToInt64(value));
                return;
            case ValueKind.Codec:
                WriteCodec(w, value, type, codecs.Find(type) ?? ValueCodecRegistry.FromAttribute(type)!);
                return;
            case ValueKind.UnmanagedArray: WriteUnmanagedArray(w, (Array)value); return;
            case ValueKind.ObjectArray:
                var array = (Array)value;
                w.WriteByte((byte)ValueTag.ObjectArray);
                TypeIdentity.Write(w, type.GetElementType()!);
                w.WriteVarInt32(array.Length);
                if (array is object?[] objects)
                    foreach (var item in objects) Write(w, item, codecs, depth + 1);
                else
                    foreach (var item in array) Write(w, item, codecs, depth + 1);
                return;
            case ValueKind.List:
                var list = (IList)value;
                w.WriteByte((byte)ValueTag.List);
                TypeIdentity.Write(w, type.GetGenericArguments()[0]);
                w.WriteVarInt32(list.Count);
                for (var i = 0; i < list.Count; i++) Write(w, list[i], codecs, depth + 1);
                return;
            case ValueKind.HashSet:
                w.WriteByte((byte)ValueTag.HashSet);
                TypeIdentity.Write(w, type.GetGenericArguments()[0]);
                w.WriteByte(StringComparers.CodeOf(value, type, type.GetGenericArguments()[0]));
                var members = new List<object?>();
                foreach (var item in (IEnumerable)value) members.Add(item);
                w.WriteVarInt32(members.Count);
                foreach (var item in members) Write(w, item, codecs, depth + 1);
                return;
            case ValueKind.Dictionary:
                var dictionary = (IDictionary)value;
                var kv = type.GetGenericArguments();
                w.WriteByte((byte)ValueTag.Dictionary);
                TypeIdentity.Write(w, kv[0]);
                TypeIdentity.Write(w, kv[1]);
                w.WriteByte(StringComparers.CodeOf(value, type, kv[0]));
                w.WriteVarInt32(dictionary.Count);
                var entries = dictionary.GetEnumerator();
                while (entries.MoveNext())
                {
                    Write(w, entries.Key, codecs, depth + 1);
                    Write(w, entries.Value, codecs, depth + 1);
                }
                return;
            case ValueKind.ValueTuple:
            case ValueKind.Tuple:
                var tuple = (ITuple)value;
                w.WriteByte((byte)(kind == ValueKind.Tuple ? ValueTag.Tuple : ValueTag.ValueTuple));
                TypeIdentity.Write(w, type);
                for (var i = 0; i < tuple.Length; i++) Write(w, tuple[i], codecs, depth + 1);
                return;
            case ValueKind.Future:
                var future = (IFutureReference)value;
                if (future is FutureListArg futures)
                {
                    // The common value type once; per item only when they differ.
                    var uniform = futures.Items.All(f => f.ValueType == futures.ValueType);
                    w.WriteByte((byte)ValueTag.FutureList);
                    TypeIdentity.Write(w, futures.ValueType);
                    w.WriteByte(uniform ? (byte)0 : (byte)1);
                    w.WriteVarInt32(futures.Items.Length);
                    foreach (var f in futures.Items)
                    {
                        w.WriteString(f.Key);
                        if (!uniform) TypeIdentity.Write(w, f.ValueType);
                    }
                    return;
                }
                w.WriteByte((byte)ValueTag.Future);
                w.WriteString(future.Key);
                TypeIdentity.Write(w, future.ValueType);
                return;
            case ValueKind.Delegate:
                w.WriteByte((byte)ValueTag.Delegate);
                TypeIdentity.Write(w, type);
                FunctionSpec.WriteFunction(w, (Delegate)value, codecs, depth + 1);
                return;
            case ValueKind.CannotTravel:
                throw new ValueSerializationException($"cannot serialize a value of type {TypeIdentity.DisplayName(type)}: {reason}", type);
            default:
                WriteJson(w, value, type);
                return;
        }
    }

    private static bool IsUnsigned(Type enumType)
    {
        var u = Enum.GetUnderlyingType(enumType);
        return u == typeof(ulong) || u == typeof(uint) || u == typeof(ushort) || u == typeof(byte);
    }

    private static void WriteCodec(ValueWriter w, object value, Type type, ErasedCodec codec)
    {
        w.WriteByte((byte)ValueTag.Codec);
        TypeIdentity.Write(w, type);
        TypeIdentity.Write(w, codec.CodecType);
        var at = w.ReserveInt32();
        var start = w.Position;
        try { codec.Write(value, w); }
        catch (Exception e) when (e is not ValueSerializationException)
        {
            throw new ValueSerializationException($"codec {codec.CodecType.FullName} failed to write a {TypeIdentity.DisplayName(type)}: {e.Message}", type, e);
        }
        w.PatchInt32(at, w.Position - start);
    }

    private static void WriteJson(ValueWriter w, object value, Type type)
    {
        byte[] json;
        try
        {
            json = JsonSerializer.SerializeToUtf8Bytes(value, type, JsonOptionsCache.For(type));
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
        {
            throw new ValueSerializationException(
                $"cannot serialize a value of type {TypeIdentity.DisplayName(type)} with System.Text.Json ({e.Message}); " +
                "mark it with [ValueCodec(typeof(YourCodec))] and an IValueCodec<T> of yours", type, e);
        }
        w.WriteByte((byte)ValueTag.Json);
        TypeIdentity.Write(w, type);
        w.WriteInt32(json.Length);
        w.WriteBytes(json);
    }

    private static void WriteUnmanagedArray(ValueWriter w, Array array)
    {
        var type = array.GetType();
        var element = type.GetElementType()!;
        w.WriteByte((byte)ValueTag.UnmanagedArray);
        TypeIdentity.Write(w, element);
        if (type.IsSZArray)
        {
            w.WriteByte(0);
            w.WriteVarInt32(array.Length);
        }
        else
        {
            w.WriteByte((byte)array.Rank);
            for (var d = 0; d < array.Rank; d++)
            {
                if (array.GetLowerBound(d) != 0)
                    throw new ValueSerializationException($"arrays with non-zero lower bounds are not supported ({TypeIdentity.DisplayName(type)})", type);
                w.WriteVarInt32(array.GetLength(d));
            }
        }
        var byteLength = array.LongLength * UnmanagedTypes.SizeOf(element);
        w.OutOfBandBytes += byteLength;
        if (byteLength < OutOfBandThreshold)
        {
            w.WriteByte(0);
            w.WriteBytes(UnmanagedTypes.AsBytes(array, byteLength));
            return;
        }
        var chunks = (int)((byteLength + MaxChunk - 1) / MaxChunk);
        w.WriteVarInt32(chunks);
        // Big one-dimensional arrays: each chunk after a descriptor, so the receiver can land it in the final array.
        var described = UnmanagedArrayFormat.IsDescribed(array, byteLength);
        w.WriteByte(described ? (byte)1 : (byte)0);
        for (long offset = 0; offset < byteLength; offset += MaxChunk)
        {
            var length = (int)Math.Min(MaxChunk, byteLength - offset);
            if (described) w.AddSegment(UnmanagedArrayFormat.Descriptor(array, offset));
            w.AddSegment(new ArrayMemoryManager(array, offset, length).Memory);
        }
    }

    public static object? Read(ref ValueReader r, ReadContext context, int depth = 0)
    {
        var tag = (ValueTag)r.ReadByte();
        switch (tag)
        {
            case ValueTag.Null: return null;
            case ValueTag.True: return true;
            case ValueTag.False: return false;
            case ValueTag.Int32: return r.ReadInt32();
            case ValueTag.Int64: return r.ReadInt64();
            case ValueTag.Double: return r.ReadRaw<double>();
            case ValueTag.String: return r.ReadString();
            case ValueTag.Single: return r.ReadRaw<float>();
            case ValueTag.Byte: return r.ReadByte();
            case ValueTag.SByte: return r.ReadRaw<sbyte>();
            case ValueTag.Int16: return r.ReadRaw<short>();
            case ValueTag.UInt16: return r.ReadRaw<ushort>();
            case ValueTag.UInt32: return r.ReadRaw<uint>();
            case ValueTag.UInt64: return r.ReadRaw<ulong>();
            case ValueTag.Decimal: return r.ReadRaw<decimal>();
            case ValueTag.Char: return r.ReadRaw<char>();
            case ValueTag.DateTime: return DateTime.FromBinary(r.ReadInt64());
            case ValueTag.Guid: return r.ReadRaw<Guid>();
            case ValueTag.TimeSpan: return new TimeSpan(r.ReadInt64());
            case ValueTag.DateTimeOffset:
                var ticks = r.ReadInt64();
                return new DateTimeOffset(ticks, new TimeSpan(r.ReadInt64()));
            case ValueTag.Half: return r.ReadRaw<Half>();
            case ValueTag.Int128: return r.ReadRaw<Int128>();
            case ValueTag.UInt128: return r.ReadRaw<UInt128>();
            case ValueTag.DateOnly: return DateOnly.FromDayNumber(r.ReadInt32());
            case ValueTag.TimeOnly: return new TimeOnly(r.ReadInt64());
        }
        if (depth > MaxDepth) throw new ValueSerializationException($"malformed value: nesting deeper than {MaxDepth}");
        switch (tag)
        {
            case ValueTag.Enum:
                var enumType = TypeIdentity.Read(ref r, context.Resolver);
                return Enum.ToObject(enumType, r.ReadInt64());
            case ValueTag.UnmanagedArray: return ReadUnmanagedArray(ref r, context);
            case ValueTag.ObjectArray:
            {
                var element = TypeIdentity.Read(ref r, context.Resolver);
                var n = r.ReadVarInt32();
                var array = Array.CreateInstance(element, n);
                if (array is object?[] objects)
                    for (var i = 0; i < n; i++) objects[i] = Fit(Read(ref r, context, depth + 1), element);
                else
                    for (var i = 0; i < n; i++) array.SetValue(Fit(Read(ref r, context, depth + 1), element), i);
                return array;
            }
            case ValueTag.List:
            {
                var element = TypeIdentity.Read(ref r, context.Resolver);
                var items = ReadItems(ref r, context, depth);
                for (var i = 0; i < items.Length; i++) items[i] = Fit(items[i], element);
                return ListBuilders.GetOrAdd(element, static t => MakeBuilder<Func<object?[], object>>(nameof(BuildList), t))(items);
            }
            case ValueTag.HashSet:
            {
                var element = TypeIdentity.Read(ref r, context.Resolver);
                var comparer = StringComparers.FromCode(r.ReadByte());
                var items = ReadItems(ref r, context, depth);
                for (var i = 0; i < items.Length; i++) items[i] = Fit(items[i], element);
                return SetBuilders.GetOrAdd(element, static t => MakeBuilder<Func<object?[], object?, object>>(nameof(BuildSet), t))(items, comparer);
            }
            case ValueTag.Dictionary:
            {
                var key = TypeIdentity.Read(ref r, context.Resolver);
                var value = TypeIdentity.Read(ref r, context.Resolver);
                var comparer = StringComparers.FromCode(r.ReadByte());
                var n = r.ReadVarInt32();
                var keys = new object?[n];
                var values = new object?[n];
                for (var i = 0; i < n; i++)
                {
                    keys[i] = Fit(Read(ref r, context, depth + 1), key);
                    values[i] = Fit(Read(ref r, context, depth + 1), value);
                }
                var type = typeof(Dictionary<,>).MakeGenericType(key, value);
                return DictionaryBuilders.GetOrAdd(type, static t => MakeBuilder<Func<object?[], object?[], object?, object>>(nameof(BuildDictionary), t.GetGenericArguments()))(keys, values, comparer);
            }
            case ValueTag.ValueTuple:
            case ValueTag.Tuple:
            {
                var type = TypeIdentity.Read(ref r, context.Resolver);
                var itemTypes = type.GetGenericArguments();
                var items = new object?[itemTypes.Length];
                for (var i = 0; i < items.Length; i++) items[i] = Fit(Read(ref r, context, depth + 1), itemTypes[i]);
                return Activator.CreateInstance(type, items);
            }
            case ValueTag.Json: return ReadJson(ref r, context);
            case ValueTag.Codec: return ReadCodec(ref r, context);
            case ValueTag.Future:
            {
                var key = r.ReadString();
                var valueType = TypeIdentity.Read(ref r, context.Resolver);
                return context.FuturesAsArgs && depth == 0 ? new FutureArg(key, valueType) : FutureReferences.Create(key, valueType);
            }
            case ValueTag.FutureList:
            {
                var valueType = TypeIdentity.Read(ref r, context.Resolver);
                var uniform = r.ReadByte() == 0;
                var n = r.ReadVarInt32();
                var items = new FutureArg[n];
                for (var i = 0; i < n; i++)
                {
                    var key = r.ReadString();
                    items[i] = new FutureArg(key, uniform ? valueType : TypeIdentity.Read(ref r, context.Resolver));
                }
                return new FutureListArg(items, valueType);
            }
            case ValueTag.Delegate:
            {
                var delegateType = TypeIdentity.Read(ref r, context.Resolver);
                var function = FunctionSpec.ReadFunction(ref r, context, depth + 1);
                return function.CreateDelegate(delegateType);
            }
            case ValueTag.Fields: return ClosureFormat.ReadFields(ref r, context, depth + 1);
            case ValueTag.FieldsRef:
                var id = r.ReadVarInt32();
                return id < context.Objects.Count ? context.Objects[id] : throw new ValueSerializationException($"malformed value: closure reference {id}");
            default:
                throw new ValueSerializationException($"malformed value: unknown tag {(byte)tag}");
        }
    }

    /// <summary>Futures read inside a typed container become that container's future type.</summary>
    private static object? Fit(object? item, Type element) =>
        item is IFutureReference future && !element.IsInstanceOfType(item) && typeof(IFutureReference).IsAssignableFrom(element)
            ? FutureReferences.Adapt(future, element)
            : item;

    private static object?[] ReadItems(ref ValueReader r, ReadContext context, int depth)
    {
        var n = r.ReadVarInt32();
        var items = new object?[n];
        for (var i = 0; i < n; i++) items[i] = Read(ref r, context, depth + 1);
        return items;
    }

    private static T MakeBuilder<T>(string name, params Type[] types) where T : Delegate =>
        typeof(ValueFormat).GetMethod(name, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(types).CreateDelegate<T>();

    private static object BuildList<T>(object?[] items)
    {
        var list = new List<T>(items.Length);
        foreach (var item in items) list.Add((T)item!);
        return list;
    }

    private static object BuildSet<T>(object?[] items, object? comparer)
    {
        var set = new HashSet<T>(items.Length, comparer as IEqualityComparer<T>);
        foreach (var item in items) set.Add((T)item!);
        return set;
    }

    private static object BuildDictionary<TKey, TValue>(object?[] keys, object?[] values, object? comparer) where TKey : notnull
    {
        var dictionary = new Dictionary<TKey, TValue>(keys.Length, comparer as IEqualityComparer<TKey>);
        for (var i = 0; i < keys.Length; i++) dictionary.Add((TKey)keys[i]!, (TValue)values[i]!);
        return dictionary;
    }

    private static object? ReadJson(ref ValueReader r, ReadContext context)
    {
        var type = TypeIdentity.Read(ref r, context.Resolver);
        var json = r.ReadBytes(r.ReadInt32());
        try
        {
            return JsonSerializer.Deserialize(json, type, JsonOptionsCache.For(type));
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
        {
            throw new ValueSerializationException(
                $"cannot deserialize a value of type {TypeIdentity.DisplayName(type)} with System.Text.Json ({e.Message}); " +
                "register an IValueCodec for it or mark it with [ValueCodec]", type, e);
        }
    }

    private static object? ReadCodec(ref ValueReader r, ReadContext context)
    {
        var type = TypeIdentity.Read(ref r, context.Resolver);
        Type? codecType = null;
        try { codecType = TypeIdentity.Read(ref r, context.Resolver); }
        catch (ValueSerializationException) { /* the codec may be registered here under another type */ }
        var payload = r.ReadBytes(r.ReadInt32());
        var codec = context.Codecs.FindForRead(type, codecType)
            ?? throw new ValueSerializationException($"no codec registered for {TypeIdentity.DisplayName(type)}", type);
        try { return codec.Read(payload); }
        catch (Exception e) when (e is not ValueSerializationException)
        {
            throw new ValueSerializationException($"codec {codec.CodecType.FullName} failed to read a {TypeIdentity.DisplayName(type)}: {e.Message}", type, e);
        }
    }

    private static Array ReadUnmanagedArray(ref ValueReader r, ReadContext context)
    {
        var element = TypeIdentity.Read(ref r, context.Resolver);
        // Raw bytes become this array's memory: never for an element type that holds references.
        if (!UnmanagedTypes.IsUnmanaged(element))
            throw new ValueSerializationException(
                $"refused a raw array of {TypeIdentity.DisplayName(element)}: its elements hold references, and raw bytes never become references", element);
        int rank = r.ReadByte();
        int[]? lengths = null;
        long count;
        if (rank == 0)
            count = r.ReadVarInt32();
        else
        {
            lengths = new int[rank];
            count = 1;
            for (var d = 0; d < rank; d++)
            {
                lengths[d] = r.ReadVarInt32();
                count = checked(count * lengths[d]);
            }
            if (count > Array.MaxLength) throw new ValueSerializationException($"malformed value: an array of {count} elements");
        }
        var byteLength = checked(count * UnmanagedTypes.SizeOf(element));
        var chunks = r.ReadVarInt32();
        if (chunks == 0)
        {
            if (byteLength > r.Remaining) throw new ValueSerializationException("malformed value: truncated");
            var inline = Allocate(element, count, lengths);
            r.ReadBytes((int)byteLength).CopyTo(UnmanagedTypes.AsBytes(inline, byteLength));
            return inline;
        }
        var described = r.ReadByte() switch
        {
            0 => false,
            1 => true,
            var b => throw new ValueSerializationException($"malformed value: array layout {b}"),
        };
        // Check the payload's size before allocating anything for it.
        if ((long)chunks * (described ? 2 : 1) > r.SegmentsRemaining)
            throw new ValueSerializationException("malformed value: fewer payload segments than the value references");
        var bodies = new Protocol.Segment[chunks];
        long total = 0;
        for (var c = 0; c < chunks; c++)
        {
            if (described) r.ReadSegment(); // the descriptor: used by the frame decoder, nothing to check here
            bodies[c] = r.ReadSegment();
            total += bodies[c].Length;
        }
        var typeName = lengths is null ? element.Name + "[]" : element.Name + "[" + new string(',', rank - 1) + "]";
        if (total != byteLength)
            throw new ValueSerializationException($"malformed value: {typeName} payload is {total} bytes, expected {byteLength}");
        if (lengths is null && ReceivedArrays.TryTake(bodies, element, (int)count, out var received)) return received!;
        var array = Allocate(element, count, lengths);
        long offset = 0;
        foreach (var body in bodies)
        {
            body.Bytes.Span.CopyTo(UnmanagedTypes.AsBytes(array, offset, body.Length));
            offset += body.Length;
        }
        return array;
    }

    private static Array Allocate(Type element, long count, int[]? lengths) =>
        lengths is null ? UnmanagedTypes.AllocateUninitialized(element, (int)count) : Array.CreateInstance(element, lengths);
}
