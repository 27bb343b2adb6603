using System.Text.Json;

namespace Shoal.Serialization;

// Reading: the tag byte, then the value; containers rebuilt by cached builders, user codecs and JSON by type identity.
internal static partial class ValueFormat
{
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
}
