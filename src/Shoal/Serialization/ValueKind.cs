using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Shoal.Serialization;

/// <summary>How values of a (non-primitive) runtime type are written; computed once per type.</summary>
internal enum ValueKind
{
    Enum, Codec, UnmanagedArray, ObjectArray, List, Dictionary, HashSet, ValueTuple, Tuple, Future, Delegate, Json, CannotTravel,
}

internal static class ValueKinds
{
    private static readonly TypeCache<(ValueKind Kind, string? Reason)> Kinds = new();

    public static (ValueKind Kind, string? Reason) Of(Type type) => Kinds.TryGetValue(type, out var k) ? k : Kinds.GetOrAdd(type, Classify);

    private static (ValueKind, string?) Classify(Type type)
    {
        if (type.IsEnum) return (ValueKind.Enum, null);
        if (type.IsDefined(typeof(ValueCodecAttribute), false)) return (ValueKind.Codec, null);
        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            if (element.IsPointer || element.IsFunctionPointer) return (ValueKind.CannotTravel, "it is an array of pointers");
            if (UnmanagedTypes.IsUnmanaged(element)) return (ValueKind.UnmanagedArray, null);
            return type.IsSZArray ? (ValueKind.ObjectArray, null) : (ValueKind.CannotTravel, "multi-dimensional arrays of managed elements are not supported");
        }
        if (typeof(IFutureReference).IsAssignableFrom(type)) return (ValueKind.Future, null);
        if (typeof(Delegate).IsAssignableFrom(type)) return (ValueKind.Delegate, null);
        if (type.IsConstructedGenericType)
        {
            var def = type.GetGenericTypeDefinition();
            if (def == typeof(List<>)) return (ValueKind.List, null);
            if (def == typeof(Dictionary<,>)) return (ValueKind.Dictionary, null);
            if (def == typeof(HashSet<>)) return (ValueKind.HashSet, null);
            if (type.IsValueType && typeof(ITuple).IsAssignableFrom(type) && def.FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal)
                && type.GetGenericArguments().Length <= 7)
                return (ValueKind.ValueTuple, null);
            if (!type.IsValueType && def.FullName!.StartsWith("System.Tuple`", StringComparison.Ordinal) && def.Assembly == typeof(Tuple).Assembly
                && type.GetGenericArguments().Length <= 7)
                return (ValueKind.Tuple, null);
        }
        if (Travel.WhyNot(type) is { } reason) return (ValueKind.CannotTravel, reason);
        return (ValueKind.Json, null);
    }
}

/// <summary>Types whose values only mean something inside this process.</summary>
internal static class Travel
{
    public static string? WhyNot(Type type)
    {
        if (type.IsPointer || type.IsFunctionPointer || type == typeof(System.Reflection.Pointer)) return "it is a pointer";
        if (type == typeof(IntPtr) || type == typeof(UIntPtr)) return "it is a native pointer or handle (IntPtr) that only means something in this process";
        if (typeof(System.Runtime.InteropServices.SafeHandle).IsAssignableFrom(type)) return "it is an operating-system handle (SafeHandle)";
        if (typeof(WaitHandle).IsAssignableFrom(type)) return "it is an operating-system wait handle";
        if (typeof(Stream).IsAssignableFrom(type)) return "it is an open stream";
        if (typeof(System.Net.Sockets.Socket).IsAssignableFrom(type)) return "it is an open socket";
        if (typeof(System.Net.Http.HttpMessageInvoker).IsAssignableFrom(type)) return "it is an HTTP client with open connections";
        if (typeof(TextReader).IsAssignableFrom(type) || typeof(TextWriter).IsAssignableFrom(type)) return "it is an open reader or writer";
        if (typeof(Thread).IsAssignableFrom(type)) return "it is a thread";
        if (typeof(Task).IsAssignableFrom(type) || type == typeof(ValueTask) || (type.IsConstructedGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>)))
            return "it is a running task (await it and pass its result instead)";
        if (type == typeof(CancellationTokenSource) || type == typeof(CancellationToken) || typeof(CancellationTokenSource).IsAssignableFrom(type))
            return "it is a cancellation source that lives in this process";
        if (typeof(System.Reflection.MemberInfo).IsAssignableFrom(type) || typeof(System.Reflection.Assembly).IsAssignableFrom(type)
            || typeof(System.Reflection.Module).IsAssignableFrom(type))
            return "it is a reflection object";
        if (type == typeof(object)) return null;
        return null;
    }
}
