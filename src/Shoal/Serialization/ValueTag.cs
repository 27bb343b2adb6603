namespace Shoal.Serialization;

/// <summary>The first byte of every encoded value.</summary>
internal enum ValueTag : byte
{
    Null = 0, True = 1, False = 2, Byte = 3, SByte = 4, Int16 = 5, UInt16 = 6, Int32 = 7, UInt32 = 8,
    Int64 = 9, UInt64 = 10, Single = 11, Double = 12, Decimal = 13, Char = 14, DateTime = 15, Guid = 16,
    String = 17, TimeSpan = 18, DateTimeOffset = 19, Half = 20, Int128 = 21, UInt128 = 22, DateOnly = 23,
    TimeOnly = 24,
    Enum = 30,
    UnmanagedArray = 40, ObjectArray = 41, List = 42, Dictionary = 43, HashSet = 44, ValueTuple = 45, Tuple = 46,
    Json = 50, Codec = 51,
    Future = 60, FutureList = 61, Delegate = 62, Fields = 63, FieldsRef = 64,
}
