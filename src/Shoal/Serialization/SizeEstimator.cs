using System.Collections;

namespace Shoal.Serialization;

/// <summary>Cheap size estimates (bytes) for memory accounting and large-capture warnings.</summary>
internal static class SizeEstimator
{
    /// <summary>Estimates the size of <paramref name="value"/>, stopping early once past <paramref name="limit"/>.</summary>
    public static long Estimate(object? value, ValueSerializer serializer, long limit, int depth = 0)
    {
        switch (value)
        {
            case null: return 1;
            case string s: return 1 + s.Length * 2L;
            case Array a when ValueKinds.Of(a.GetType()).Kind == ValueKind.UnmanagedArray:
                return a.LongLength * UnmanagedTypes.SizeOf(a.GetType().GetElementType()!);
            case IFutureReference: return 16;
            case Delegate: return 64;
        }
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum) return 1 + UnmanagedTypes.SizeOf(type.IsEnum ? Enum.GetUnderlyingType(type) : type);
        if (type.IsValueType && UnmanagedTypes.IsUnmanaged(type)) return 1 + UnmanagedTypes.SizeOf(type);
        if (depth < 8 && value is IEnumerable collection && ValueKinds.Of(type).Kind is ValueKind.ObjectArray or ValueKind.List or ValueKind.HashSet or ValueKind.Dictionary)
        {
            long total = 8;
            if (collection is IDictionary dictionary)
            {
                var e = dictionary.GetEnumerator();
                while (e.MoveNext() && total <= limit)
                    total += Estimate(e.Key, serializer, limit, depth + 1) + Estimate(e.Value, serializer, limit, depth + 1);
                return total;
            }
            foreach (var item in collection)
            {
                total += Estimate(item, serializer, limit, depth + 1);
                if (total > limit) break;
            }
            return total;
        }
        try
        {
            return serializer.Serialize(value).Nbytes;
        }
        catch (ValueSerializationException)
        {
            return 64;
        }
    }
}
