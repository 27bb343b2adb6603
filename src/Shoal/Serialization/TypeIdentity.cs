using System.Collections.Concurrent;
using System.Text;

namespace Shoal.Serialization;

/// <summary>
/// The wire identity of a type: well-known types as one byte, others as assembly simple name +
/// full name, arrays and generic instantiations recursively. Assembly versions are left out on
/// purpose: within one code context an assembly name means one assembly.
/// Encoded as a varint length then the bytes, so readers can cache by content.
/// </summary>
internal static class TypeIdentity
{
    private const byte SzArray = 0x80, MdArray = 0x81, Generic = 0x82, Named = 0x83;

    private static readonly Type[] WellKnown =
    [
        null!, typeof(object), typeof(bool), typeof(char), typeof(sbyte), typeof(byte), typeof(short), typeof(ushort),
        typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal),
        typeof(DateTime), typeof(string), typeof(Guid), typeof(TimeSpan), typeof(DateTimeOffset), typeof(Half),
        typeof(Int128), typeof(UInt128), typeof(DateOnly), typeof(TimeOnly), typeof(List<>), typeof(Dictionary<,>),
        typeof(HashSet<>), typeof(Nullable<>),
        typeof(ValueTuple<>), typeof(ValueTuple<,>), typeof(ValueTuple<,,>), typeof(ValueTuple<,,,>),
        typeof(ValueTuple<,,,,>), typeof(ValueTuple<,,,,,>), typeof(ValueTuple<,,,,,,>),
        typeof(Tuple<>), typeof(Tuple<,>), typeof(Tuple<,,>), typeof(Tuple<,,,>), typeof(Tuple<,,,,>),
        typeof(Tuple<,,,,,>), typeof(Tuple<,,,,,,>), typeof(KeyValuePair<,>), typeof(object[]), typeof(byte[]),
        typeof(IEnumerable<>), typeof(IReadOnlyList<>), typeof(IList<>), typeof(int[]), typeof(double[]),
    ];

    private static readonly Dictionary<Type, byte> WellKnownCodes = BuildCodes();
    private static readonly TypeCache<byte[]> Encoded = new();
    private static readonly TypeCache<string> DisplayNames = new();

    private static Dictionary<Type, byte> BuildCodes()
    {
        var d = new Dictionary<Type, byte>();
        for (var i = 1; i < WellKnown.Length; i++) d[WellKnown[i]] = (byte)i;
        return d;
    }

    /// <summary>Writes the identity of <paramref name="type"/> (length-prefixed).</summary>
    public static void Write(ValueWriter writer, Type type) => writer.WriteBytes(Encode(type));

    /// <summary>The encoded identity of <paramref name="type"/> including its length prefix (cached).</summary>
    public static byte[] Encode(Type type)
    {
        if (Encoded.TryGetValue(type, out var bytes)) return bytes;
        var body = new List<byte>();
        EncodeBody(type, body);
        var w = new ValueWriter();
        w.WriteVarInt32(body.Count);
        w.WriteBytes(body.ToArray());
        return Encoded.GetOrAdd(type, w.ToArray());
    }

    private static void EncodeBody(Type type, List<byte> output)
    {
        if (WellKnownCodes.TryGetValue(type, out var code))
        {
            output.Add(code);
            return;
        }
        if (type.IsPointer || type.IsByRef || type.IsFunctionPointer || type.IsGenericParameter)
            throw new ValueSerializationException($"type {DisplayName(type)} has no wire identity (pointer, by-ref or open generic)", type);
        if (type.IsArray)
        {
            if (type.IsSZArray) output.Add(SzArray);
            else
            {
                output.Add(MdArray);
                output.Add((byte)type.GetArrayRank());
            }
            EncodeBody(type.GetElementType()!, output);
            return;
        }
        if (type.IsConstructedGenericType)
        {
            var args = type.GetGenericArguments();
            output.Add(Generic);
            EncodeBody(type.GetGenericTypeDefinition(), output);
            output.Add((byte)args.Length);
            foreach (var a in args) EncodeBody(a, output);
            return;
        }
        var assembly = type.Assembly;
        if (assembly.IsDynamic)
            throw new ValueSerializationException($"type {DisplayName(type)} lives in a dynamic assembly and cannot travel", type);
        output.Add(Named);
        AddString(assembly.GetName().Name!, output);
        AddString(type.FullName ?? throw new ValueSerializationException($"type {type} has no full name", type), output);
    }

    private static void AddString(string s, List<byte> output)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        var n = (uint)bytes.Length;
        while (n >= 0x80) { output.Add((byte)(n | 0x80)); n >>= 7; }
        output.Add((byte)n);
        output.AddRange(bytes);
    }

    /// <summary>Reads an identity written by <see cref="Write"/> and resolves it.</summary>
    public static Type Read(ref ValueReader reader, TypeResolver resolver)
    {
        var length = reader.ReadVarInt32();
        var body = reader.ReadBytes(length);
        if (length == 1 && body[0] < WellKnown.Length && body[0] != 0) return WellKnown[body[0]];
        // The cache is keyed by content and probed with the span itself; only new entries copy it.
        if (resolver.IdentityCache.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(body, out var cached)) return cached;
        var inner = new ValueReader(body, default);
        var type = Decode(ref inner, resolver);
        resolver.IdentityCache.TryAdd(new ByteKey(body.ToArray()), type);
        return type;
    }

    private static Type Decode(ref ValueReader reader, TypeResolver resolver)
    {
        var kind = reader.ReadByte();
        switch (kind)
        {
            case SzArray:
                return Decode(ref reader, resolver).MakeArrayType();
            case MdArray:
                var rank = reader.ReadByte();
                return Decode(ref reader, resolver).MakeArrayType(rank);
            case Generic:
                var definition = Decode(ref reader, resolver);
                var count = reader.ReadByte();
                var args = new Type[count];
                for (var i = 0; i < count; i++) args[i] = Decode(ref reader, resolver);
                return definition.MakeGenericType(args);
            case Named:
                var assembly = reader.ReadString();
                var name = reader.ReadString();
                return resolver.ResolveType(assembly, name);
            default:
                if (kind > 0 && kind < WellKnown.Length) return WellKnown[kind];
                throw new ValueSerializationException($"malformed type identity (kind {kind})");
        }
    }

    /// <summary>A readable C#-like name: <c>List&lt;Int32&gt;</c>, <c>Double[]</c>, <c>Program+Point</c>.</summary>
    public static string DisplayName(Type type) => DisplayNames.GetOrAdd(type, static t => BuildDisplayName(t));

    private static string BuildDisplayName(Type t)
    {
        if (t.IsArray)
            return BuildDisplayName(t.GetElementType()!) + (t.IsSZArray ? "[]" : "[" + new string(',', t.GetArrayRank() - 1) + "]");
        if (!t.IsGenericType) return t.FullName ?? t.Name;
        var name = (t.FullName ?? t.Name);
        var tick = name.IndexOf('`');
        if (!t.IsConstructedGenericType) return tick < 0 ? name : name[..tick];
        var def = t.GetGenericTypeDefinition().FullName ?? t.Name;
        tick = def.IndexOf('`');
        var sb = new StringBuilder(tick < 0 ? def : def[..tick]).Append('<');
        var args = t.GetGenericArguments();
        for (var i = 0; i < args.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(BuildDisplayName(args[i]));
        }
        return sb.Append('>').ToString();
    }
}
