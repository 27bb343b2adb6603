using System.Buffers;
using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Shoal.Serialization;

namespace Shoal.ClientSide;

/// <summary>
/// Deterministic task keys, as Dask's <c>tokenize</c>: <c>prefix-hash</c>, where the prefix names
/// the function (the task group) and the hash covers the function's identity, its closure and
/// its arguments. Identical submissions get identical keys and so share one task. Values that
/// cannot be hashed deterministically make the submission impure (a random key).
/// </summary>
internal static class KeyTokenizer
{
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> Fields = new();
    private static readonly ConcurrentDictionary<MethodInfo, string> Prefixes = new();

    /// <summary>The task group name for a function: its method name, or "lambda" for an anonymous one.</summary>
    public static string Prefix(Delegate function) => Prefixes.GetOrAdd(function.Method, static m =>
    {
        var name = m.Name;
        if (name.StartsWith('<'))
        {
            // Compiler-generated: "<Main>b__0_0" is a lambda, "<Main>g__Inc|0_1" a local function named Inc.
            var local = name.IndexOf(">g__", StringComparison.Ordinal);
            if (local >= 0)
            {
                var end = name.IndexOf('|', local);
                name = end > local + 4 ? name[(local + 4)..end] : "lambda";
            }
            else
            {
                name = "lambda";
            }
        }

        return name.Replace('-', '_').ToLowerInvariant();
    });

    /// <summary>A fresh key for an impure submission.</summary>
    public static string RandomKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>The deterministic key for calling <paramref name="function"/> on <paramref name="args"/>, or null if it cannot be hashed.</summary>
    public static string? Key(string prefix, Delegate function, ReadOnlySpan<object?> args)
    {
        var buffer = Buffer;
        buffer.ResetWrittenCount();
        var writer = new TokenWriter(buffer);
        if (!FunctionToken(function, buffer, writer)) return null;
        writer.Int(args.Length);
        foreach (var arg in args)
        {
            if (!writer.Value(arg, 0)) return null;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer.WrittenSpan, hash);
        if (buffer.Capacity > 1 << 20) t_buffer = null; // do not keep a huge buffer alive
        Span<char> text = stackalloc char[prefix.Length + 33];
        prefix.AsSpan().CopyTo(text);
        text[prefix.Length] = '-';
        Convert.TryToHexStringLower(hash[..16], text[(prefix.Length + 1)..], out _);
        return new string(text);
    }

    /// <summary>
    /// Writes the function's part of a key. A delegate whose target holds no state (a static
    /// lambda's singleton closure, or none) hashes to the same bytes every time: they are computed
    /// once per delegate, as a Map of 100,000 items calls this 100,000 times with one delegate
    /// (walking its closure each time allocated ~0.5 KB per task).
    /// </summary>
    private static bool FunctionToken(Delegate function, ArrayBufferWriter<byte> buffer, TokenWriter writer)
    {
        if (StatelessTokens.TryGetValue(function, out var cached))
        {
            buffer.Write(cached);
            return true;
        }

        var start = buffer.WrittenCount;
        if (!writer.Delegate(function, 0)) return false;
        if (function.Target is null || ClosureTypes.InstanceFieldsOf(function.Target.GetType()).Length == 0)
        {
            StatelessTokens.AddOrUpdate(function, buffer.WrittenSpan[start..].ToArray());
        }

        return true;
    }

    private static readonly ConditionalWeakTable<Delegate, byte[]> StatelessTokens = new();

    /// <summary>The key for a scattered value: its type name and a hash of its content.</summary>
    public static string ScatterKey(object? value)
    {
        var prefix = value is null ? "null" : value.GetType().Name.Split('`')[0].ToLowerInvariant();
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new TokenWriter(buffer);
        if (!writer.Value(value, 0)) return RandomKey(prefix);
        var hash = SHA256.HashData(buffer.WrittenSpan);
        return $"{prefix}-{Convert.ToHexStringLower(hash.AsSpan(0, 16))}";
    }

    private static readonly ConcurrentDictionary<Type, bool> Closures = new();
    private static readonly ConcurrentDictionary<MethodInfo, byte[]> MethodIdentities = new();

    /// <summary>A compiler-generated closure class (its fields are the captured variables); cached: attribute lookups are slow.</summary>
    private static bool IsClosure(Type type) => Closures.GetOrAdd(type, static t => t.IsDefined(typeof(CompilerGeneratedAttribute), false));

    /// <summary>Module MVID, metadata token and generic arguments of a method, computed once per method.</summary>
    private static byte[] MethodIdentity(MethodInfo method) => MethodIdentities.GetOrAdd(method, static m =>
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        buffer.Write(m.Module.ModuleVersionId.ToByteArray());
        buffer.Write(BitConverter.GetBytes(m.MetadataToken));
        foreach (var t in m.IsGenericMethod ? m.GetGenericArguments() : Type.EmptyTypes)
        {
            buffer.Write(System.Text.Encoding.UTF8.GetBytes(t.AssemblyQualifiedName ?? t.Name));
        }

        return buffer.WrittenSpan.ToArray();
    });

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private static ArrayBufferWriter<byte> Buffer => t_buffer ??= new ArrayBufferWriter<byte>(256);

    private readonly ref struct TokenWriter
    {
        private const int MaxDepth = 32;
        private readonly ArrayBufferWriter<byte> _hash;

        public TokenWriter(ArrayBufferWriter<byte> buffer) => _hash = buffer;

        public void Int(int value) => Raw(value);

        private void Raw<T>(T value) where T : unmanaged
        {
            MemoryMarshal.Write(_hash.GetSpan(Unsafe.SizeOf<T>()), in value);
            _hash.Advance(Unsafe.SizeOf<T>());
        }

        private void Tag(byte tag) => Raw(tag);

        private void Text(string text)
        {
            Int(text.Length);
            _hash.Write(MemoryMarshal.AsBytes(text.AsSpan()));
        }

        public bool Delegate(Delegate function, int depth)
        {
            Tag(1);
            _hash.Write(MethodIdentity(function.Method));
            var target = function.Target;
            if (target is null) return true;
            // Only the captures this lambda uses: its neighbours' share the closure but not its identity.
            return Object(target, depth + 1, ownFieldsOnly: true, Serialization.ClosureFields.UsedBy(function));
        }

        public bool Value(object? value, int depth)
        {
            if (depth > MaxDepth) return false;
            switch (value)
            {
                case null:
                    Tag(0);
                    return true;
                case IFutureReference future:
                    Tag(2);
                    Text(future.Key);
                    return true;
                case string s:
                    Tag(3);
                    Text(s);
                    return true;
                case Delegate d:
                    return Delegate(d, depth + 1);
                case Array array when array.GetType().GetElementType() is { } element && IsUnmanaged(element) && array.Rank == 1:
                    Tag(4);
                    Text(element.FullName!);
                    Int(array.Length);
                    _hash.Write(MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(array), checked(array.Length * Marshal.SizeOf(element == typeof(bool) ? typeof(byte) : element == typeof(char) ? typeof(ushort) : element))));
                    return true;
            }

            switch (value)
            {
                case int i: Tag(10); Raw(i); return true;
                case long l: Tag(11); Raw(l); return true;
                case double d: Tag(12); Raw(d); return true;
                case bool b: Tag(13); Raw(b); return true;
                case float f: Tag(14); Raw(f); return true;
            }

            var type = value.GetType();
            if (type.IsPrimitive || type.IsEnum || value is decimal or DateTime or DateTimeOffset or TimeSpan or Guid)
            {
                Tag(5);
                Text(type.FullName!);
                Text(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                return true;
            }

            if (value is IEnumerable items && value is not IDictionary && (type.IsArray || type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)))
            {
                Tag(6);
                Text(type.FullName ?? type.Name);
                foreach (var item in items)
                {
                    if (!Value(item, depth + 1)) return false;
                }

                Tag(7);
                return true;
            }

            if (IsClosure(type)) return Object(value, depth + 1, ownFieldsOnly: true);

            try
            {
                Tag(8);
                Text(type.FullName ?? type.Name);
                _hash.Write(JsonSerializer.SerializeToUtf8Bytes(value, type));
                return true;
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException or ArgumentException)
            {
                return false;
            }
        }

        /// <summary>A closure: the values of its fields (captured variables).</summary>
        private bool Object(object target, int depth, bool ownFieldsOnly, IReadOnlySet<(Module, int)>? used = null)
        {
            if (depth > MaxDepth) return false;
            var type = target.GetType();
            if (!ownFieldsOnly || !IsClosure(type))
            {
                // A delegate bound to an ordinary object: its state is not ours to hash.
                return Value(target, depth);
            }

            Tag(9);
            Text(type.FullName ?? type.Name);
            foreach (var field in Fields.GetOrAdd(type, static t => t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)))
            {
                if (!Serialization.ClosureFields.IsUsed(used, field)) continue;
                var fieldValue = field.GetValue(target);
                var ok = fieldValue is not null && IsClosure(fieldValue.GetType())
                    ? Object(fieldValue, depth + 1, ownFieldsOnly: true, used)
                    : Value(fieldValue, depth + 1);
                if (!ok) return false;
            }

            return true;
        }

        private static bool IsUnmanaged(Type type) => type.IsPrimitive || type.IsEnum;
    }
}
