using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Shoal.Serialization;

/// <summary>Which types are plain memory (no references), their sizes, and fast uninitialised arrays.</summary>
internal static class UnmanagedTypes
{
    private static readonly TypeCache<bool> Unmanaged = new();
    private static readonly TypeCache<Func<int, Array>> Allocators = new();

    /// <summary>True for primitives, enums and structs whose fields are all unmanaged.</summary>
    public static bool IsUnmanaged(Type type) =>
        type.IsPrimitive || type.IsEnum || (type.IsValueType && Unmanaged.GetOrAdd(type, Compute));

    private static bool Compute(Type type)
    {
        if (type.IsPrimitive || type.IsEnum || type.IsPointer || type.IsFunctionPointer) return true;
        if (!type.IsValueType || type.IsByRefLike) return false;
        if (type.IsGenericTypeDefinition) return false;
        foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            if (!Compute(f.FieldType)) return false;
        return true;
    }

    public static int SizeOf(Type type) => RuntimeHelpers.SizeOf(type.TypeHandle);

    /// <summary>A new SZ array of <paramref name="elementType"/>, not zeroed (it is about to be overwritten).</summary>
    public static Array AllocateUninitialized(Type elementType, int length) =>
        Allocators.GetOrAdd(elementType, static t =>
            typeof(UnmanagedTypes).GetMethod(nameof(Allocate), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(t).CreateDelegate<Func<int, Array>>())(length);

    private static Array Allocate<T>(int length) => GC.AllocateUninitializedArray<T>(length);

    /// <summary>The whole array's memory as bytes.</summary>
    public static Span<byte> AsBytes(Array array, long byteLength) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), checked((int)byteLength));

    /// <summary>A slice of the array's memory as bytes.</summary>
    public static Span<byte> AsBytes(Array array, long byteOffset, int length) =>
        MemoryMarshal.CreateSpan(ref Unsafe.AddByteOffset(ref MemoryMarshal.GetArrayDataReference(array), (nint)byteOffset), length);
}
