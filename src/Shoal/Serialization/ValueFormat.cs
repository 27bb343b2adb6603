using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Shoal.Serialization;

/// <summary>
/// The value encoding: a tag byte, then the value. Primitives as raw little-endian memory,
/// unmanaged arrays as raw memory (large ones out of band, uncopied), containers recursively,
/// anything else through a user codec or System.Text.Json, with a type identity.
/// </summary>
internal static partial class ValueFormat
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
}
