namespace Shoal.Serialization;

/// <summary>
/// The well-known string comparers of dictionaries and sets travel as one byte, so that a
/// case-insensitive dictionary stays case-insensitive. Other comparers are not carried (default).
/// </summary>
internal static class StringComparers
{
    private static readonly TypeCache<System.Reflection.PropertyInfo?> ComparerProperty = new();

    private static readonly StringComparer?[] Known =
    [
        null, StringComparer.Ordinal, StringComparer.OrdinalIgnoreCase, StringComparer.InvariantCulture, StringComparer.InvariantCultureIgnoreCase,
    ];

    public static byte CodeOf(object collection, Type type, Type keyType)
    {
        if (keyType != typeof(string)) return 0;
        var property = ComparerProperty.GetOrAdd(type, static t => t.GetProperty("Comparer"));
        var comparer = property?.GetValue(collection);
        for (byte i = 1; i < Known.Length; i++)
            if (Known[i]!.Equals(comparer)) return i;
        return 0;
    }

    public static object? FromCode(byte code) =>
        code < Known.Length ? Known[code] : throw new ValueSerializationException($"malformed value: comparer code {code}");
}
