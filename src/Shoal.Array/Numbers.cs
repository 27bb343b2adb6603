using System.Runtime.CompilerServices;

namespace Shoal.Arrays;

/// <summary>Scalars of any element type as the (double, long) pair kernels carry constants in.</summary>
internal static class Numbers
{
    public static (double Double, long Long) Split<T>(T value) where T : unmanaged
    {
        if (typeof(T) == typeof(double)) { var d = Unsafe.As<T, double>(ref value); return (d, (long)d); }
        if (typeof(T) == typeof(float)) { var f = Unsafe.As<T, float>(ref value); return (f, (long)f); }
        if (typeof(T) == typeof(long)) { var l = Unsafe.As<T, long>(ref value); return (l, l); }
        if (typeof(T) == typeof(int)) { var i = Unsafe.As<T, int>(ref value); return (i, i); }
        if (typeof(T) == typeof(short)) { var s = Unsafe.As<T, short>(ref value); return (s, s); }
        if (typeof(T) == typeof(byte)) { var b = Unsafe.As<T, byte>(ref value); return (b, b); }
        if (typeof(T) == typeof(bool)) { var b = Unsafe.As<T, bool>(ref value) ? 1 : 0; return (b, b); }
        throw new NotSupportedException(typeof(T).Name);
    }

    public static T From<T>(double value) where T : unmanaged
    {
        if (typeof(T) == typeof(double)) return (T)(object)value;
        if (typeof(T) == typeof(float)) return (T)(object)(float)value;
        if (typeof(T) == typeof(long)) return (T)(object)(long)value;
        if (typeof(T) == typeof(int)) return (T)(object)(int)value;
        if (typeof(T) == typeof(short)) return (T)(object)(short)value;
        if (typeof(T) == typeof(byte)) return (T)(object)(byte)value;
        if (typeof(T) == typeof(bool)) return (T)(object)(value != 0);
        throw new NotSupportedException(typeof(T).Name);
    }
}
