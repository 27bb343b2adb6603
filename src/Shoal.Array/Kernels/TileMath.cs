using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Shoal.Arrays.Kernels;

/// <summary>
/// Element-wise operations on one tile (a few thousand elements), dispatched on the dtype once per
/// tile. Arithmetic and math go through <see cref="TensorPrimitives"/> (vectorized with
/// Vector128/256/512 as the hardware allows); comparisons and counts that TensorPrimitives does
/// not offer over spans are written with Vector512 here.
/// </summary>
internal static class TileMath
{
    public static Span<T> As<T>(Span<byte> bytes) where T : unmanaged => MemoryMarshal.Cast<byte, T>(bytes);

    public static ReadOnlySpan<T> As<T>(ReadOnlySpan<byte> bytes) where T : unmanaged => MemoryMarshal.Cast<byte, T>(bytes);

    public static void Unary(UnaryOp op, DType dtype, ReadOnlySpan<byte> x, Span<byte> dst)
    {
        switch (dtype)
        {
            case DType.Float64: FloatUnary(op, As<double>(x), As<double>(dst)); break;
            case DType.Float32: FloatUnary(op, As<float>(x), As<float>(dst)); break;
            case DType.Bool:
                if (op != UnaryOp.Not) goto default;
                TensorPrimitives.Xor(x, (byte)1, dst);
                break;
            case DType.UInt8: IntUnary(op, As<byte>(x), As<byte>(dst)); break;
            case DType.Int16: IntUnary(op, As<short>(x), As<short>(dst)); break;
            case DType.Int32: IntUnary(op, As<int>(x), As<int>(dst)); break;
            case DType.Int64: IntUnary(op, As<long>(x), As<long>(dst)); break;
            default: throw new NotSupportedException($"{op} of {dtype}");
        }
    }

    private static void IntUnary<T>(UnaryOp op, ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IBinaryInteger<T>
    {
        switch (op)
        {
            case UnaryOp.Negate: TensorPrimitives.Negate(x, dst); break;
            case UnaryOp.Abs: for (var i = 0; i < x.Length; i++) dst[i] = T.IsNegative(x[i]) ? T.Zero - x[i] : x[i]; break; // wraps at MinValue, as NumPy
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, dst); break;
            case UnaryOp.Sign: for (var i = 0; i < x.Length; i++) dst[i] = T.CreateTruncating(T.Sign(x[i])); break;
            case UnaryOp.Not: TensorPrimitives.OnesComplement(x, dst); break;
            default: throw new NotSupportedException($"{op} of an integer array: convert it with AsType<double>() first");
        }
    }

    private static void FloatUnary<T>(UnaryOp op, ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Negate: TensorPrimitives.Negate(x, dst); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(x, dst); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, dst); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, dst); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, dst); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, dst); break;
            case UnaryOp.Log10: TensorPrimitives.Log10(x, dst); break;
            case UnaryOp.Log2: TensorPrimitives.Log2(x, dst); break;
            case UnaryOp.Expm1: TensorPrimitives.ExpM1(x, dst); break;
            case UnaryOp.Log1p: TensorPrimitives.LogP1(x, dst); break;
            case UnaryOp.Sin: TensorPrimitives.Sin(x, dst); break;
            case UnaryOp.Cos: TensorPrimitives.Cos(x, dst); break;
            case UnaryOp.Tan: TensorPrimitives.Tan(x, dst); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(x, dst); break;
            case UnaryOp.Floor: TensorPrimitives.Floor(x, dst); break;
            case UnaryOp.Ceiling: TensorPrimitives.Ceiling(x, dst); break;
            case UnaryOp.Round: TensorPrimitives.Round(x, dst); break;
            case UnaryOp.Sign: for (var i = 0; i < x.Length; i++) dst[i] = T.IsNaN(x[i]) ? x[i] : T.CreateTruncating(T.Sign(x[i])); break;
            default: throw new NotSupportedException($"{op} of a floating-point array");
        }
    }

    /// <summary>A binary operation; <paramref name="scalarY"/> says y is one value broadcast (a constant).</summary>
    public static void Binary(BinaryOp op, DType dtype, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, bool scalarY, Span<byte> dst)
    {
        if (op is BinaryOp.And or BinaryOp.Or or BinaryOp.Xor)
        {
            if (dtype.IsFloat()) throw new NotSupportedException($"{op} of a floating-point array");
            var size = dtype.Size();
            if (scalarY)
            {
                // A broadcast integer constant: expand its bytes over the tile once.
                Span<byte> full = dst.Length <= 1 << 16 ? new byte[dst.Length] : new byte[dst.Length];
                for (var i = 0; i < full.Length; i += size) y[..size].CopyTo(full[i..]);
                y = full;
            }

            switch (op)
            {
                case BinaryOp.And: TensorPrimitives.BitwiseAnd(x, y, dst); break;
                case BinaryOp.Or: TensorPrimitives.BitwiseOr(x, y, dst); break;
                default: TensorPrimitives.Xor(x, y, dst); break;
            }

            return;
        }

        switch (dtype)
        {
            case DType.Float64: FloatBinary(op, As<double>(x), As<double>(y), scalarY, As<double>(dst)); break;
            case DType.Float32: FloatBinary(op, As<float>(x), As<float>(y), scalarY, As<float>(dst)); break;
            case DType.Bool:
            case DType.UInt8: IntBinary(op, As<byte>(x), As<byte>(y), scalarY, As<byte>(dst)); break;
            case DType.Int16: IntBinary(op, As<short>(x), As<short>(y), scalarY, As<short>(dst)); break;
            case DType.Int32: IntBinary(op, As<int>(x), As<int>(y), scalarY, As<int>(dst)); break;
            case DType.Int64: IntBinary(op, As<long>(x), As<long>(y), scalarY, As<long>(dst)); break;
            default: throw new NotSupportedException($"{op} of {dtype}");
        }
    }

    private static void CommonBinary<T>(BinaryOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, bool scalarY, Span<T> dst) where T : unmanaged, INumber<T>
    {
        if (scalarY)
        {
            var s = y[0];
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, s, dst); return;
                case BinaryOp.Subtract: TensorPrimitives.Subtract(x, s, dst); return;
                case BinaryOp.Multiply: TensorPrimitives.Multiply(x, s, dst); return;
                case BinaryOp.Divide: TensorPrimitives.Divide(x, s, dst); return;
                case BinaryOp.Minimum: TensorPrimitives.Min(x, s, dst); return;
                case BinaryOp.Maximum: TensorPrimitives.Max(x, s, dst); return;
            }

            for (var i = 0; i < x.Length; i++) dst[i] = Scalar(op, x[i], s);
            return;
        }

        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(x, y, dst); return;
            case BinaryOp.Subtract: TensorPrimitives.Subtract(x, y, dst); return;
            case BinaryOp.Multiply: TensorPrimitives.Multiply(x, y, dst); return;
            case BinaryOp.Divide: TensorPrimitives.Divide(x, y, dst); return;
            case BinaryOp.Minimum: TensorPrimitives.Min(x, y, dst); return;
            case BinaryOp.Maximum: TensorPrimitives.Max(x, y, dst); return;
        }

        for (var i = 0; i < x.Length; i++) dst[i] = Scalar(op, x[i], y[i]);
    }

    private static T Scalar<T>(BinaryOp op, T a, T b) where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case BinaryOp.Remainder:
                // NumPy's mod: the result has the divisor's sign.
                if (b == T.Zero) return T.IsInteger(a) ? T.Zero : T.CreateTruncating(double.NaN);
                var r = a % b;
                return r != T.Zero && T.IsNegative(r) != T.IsNegative(b) ? r + b : r;
            case BinaryOp.Power:
                if (typeof(T) == typeof(double) || typeof(T) == typeof(float)) return T.CreateTruncating(Math.Pow(double.CreateTruncating(a), double.CreateTruncating(b)));
                if (T.IsNegative(b)) throw new ArgumentException("integers to negative integer powers are not allowed (NumPy's rule): use a floating-point array");
                var result = T.One;
                for (var e = long.CreateTruncating(b); e > 0; e--) result *= a;
                return result;
            case BinaryOp.Atan2:
                return T.CreateTruncating(Math.Atan2(double.CreateTruncating(a), double.CreateTruncating(b)));
            default:
                throw new NotSupportedException(op.ToString());
        }
    }

    private static void IntBinary<T>(BinaryOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, bool scalarY, Span<T> dst) where T : unmanaged, IBinaryInteger<T>
    {
        if (op == BinaryOp.Divide) throw new NotSupportedException("integer division: convert to a floating-point dtype first (NumPy's true division gives float64)");
        if (op == BinaryOp.Atan2) throw new NotSupportedException("Atan2 of integers: convert to a floating-point dtype first");
        CommonBinary(op, x, y, scalarY, dst);
    }

    private static void FloatBinary<T>(BinaryOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, bool scalarY, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (op == BinaryOp.Power)
        {
            if (scalarY) TensorPrimitives.Pow(x, y[0], dst);
            else TensorPrimitives.Pow(x, y, dst);
            return;
        }

        if (op == BinaryOp.Atan2 && !scalarY)
        {
            TensorPrimitives.Atan2(x, y, dst);
            return;
        }

        CommonBinary(op, x, y, scalarY, dst);
    }

    public static void Compare(CompareOp op, DType dtype, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, bool scalarY, Span<byte> dst)
    {
        switch (dtype)
        {
            case DType.Float64:
                if (scalarY && Vector512.IsHardwareAccelerated) CompareScalar512(op, As<double>(x), As<double>(y)[0], dst);
                else CompareGeneric(op, As<double>(x), As<double>(y), scalarY, dst);
                break;
            case DType.Float32: CompareGeneric(op, As<float>(x), As<float>(y), scalarY, dst); break;
            case DType.Bool:
            case DType.UInt8: CompareGeneric(op, As<byte>(x), As<byte>(y), scalarY, dst); break;
            case DType.Int16: CompareGeneric(op, As<short>(x), As<short>(y), scalarY, dst); break;
            case DType.Int32: CompareGeneric(op, As<int>(x), As<int>(y), scalarY, dst); break;
            case DType.Int64: CompareGeneric(op, As<long>(x), As<long>(y), scalarY, dst); break;
            default: throw new NotSupportedException($"{op} of {dtype}");
        }
    }

    private static void CompareGeneric<T>(CompareOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, bool scalarY, Span<byte> dst) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < x.Length; i++)
        {
            var b = scalarY ? y[0] : y[i];
            var a = x[i];
            var r = op switch
            {
                CompareOp.Equal => a == b,
                CompareOp.NotEqual => a != b,
                CompareOp.Less => a < b,
                CompareOp.LessOrEqual => a <= b,
                CompareOp.Greater => a > b,
                _ => a >= b,
            };
            dst[i] = r ? (byte)1 : (byte)0;
        }
    }

    /// <summary>Eight doubles against one value per step; the lane masks narrowed to 0/1 bytes (vpmovqb).</summary>
    private static void CompareScalar512(CompareOp op, ReadOnlySpan<double> x, double y, Span<byte> dst)
    {
        var i = op switch
        {
            CompareOp.Less => CompareScalar512<LessOp>(x, y, dst),
            CompareOp.LessOrEqual => CompareScalar512<LessOrEqualOp>(x, y, dst),
            CompareOp.Greater => CompareScalar512<GreaterOp>(x, y, dst),
            CompareOp.GreaterOrEqual => CompareScalar512<GreaterOrEqualOp>(x, y, dst),
            CompareOp.Equal => CompareScalar512<EqualOp>(x, y, dst),
            _ => CompareScalar512<NotEqualOp>(x, y, dst),
        };
        CompareGeneric(op, x[i..], [y], true, dst[i..]);
    }

    private interface IVectorCompare
    {
        static abstract Vector512<double> Mask(Vector512<double> a, Vector512<double> b);
    }

    private struct LessOp : IVectorCompare { public static Vector512<double> Mask(Vector512<double> a, Vector512<double> b) => Vector512.LessThan(a, b); }
    private struct LessOrEqualOp : IVectorCompare { public static Vector512<double> Mask(Vector512<double> a, Vector512<double> b) => Vector512.LessThanOrEqual(a, b); }
    private struct GreaterOp : IVectorCompare { public static Vector512<double> Mask(Vector512<double> a, Vector512<double> b) => Vector512.GreaterThan(a, b); }
    private struct GreaterOrEqualOp : IVectorCompare { public static Vector512<double> Mask(Vector512<double> a, Vector512<double> b) => Vector512.GreaterThanOrEqual(a, b); }
    private struct EqualOp : IVectorCompare { public static Vector512<double> Mask(Vector512<double> a, Vector512<double> b) => Vector512.Equals(a, b); }
    private struct NotEqualOp : IVectorCompare { public static Vector512<double> Mask(Vector512<double> a, Vector512<double> b) => ~Vector512.Equals(a, b); }

    /// <summary>Eight doubles against one value per step, the lane mask spread to eight 0/1 bytes; returns how many were done.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static int CompareScalar512<TOp>(ReadOnlySpan<double> x, double y, Span<byte> dst) where TOp : struct, IVectorCompare
    {
        var i = 0;
        var s = Vector512.Create(y);
        ref var src = ref MemoryMarshal.GetReference(x);
        ref var d = ref MemoryMarshal.GetReference(dst);
        for (; i <= x.Length - 8; i += 8)
        {
            var bits = TOp.Mask(Vector512.LoadUnsafe(ref src, (nuint)i), s).AsUInt64().ExtractMostSignificantBits();
            // Eight mask bits to eight bytes of 0 or 1 (bit k to byte k's low bit).
            var spread = System.Runtime.Intrinsics.X86.Bmi2.X64.IsSupported
                ? System.Runtime.Intrinsics.X86.Bmi2.X64.ParallelBitDeposit(bits, 0x0101010101010101UL)
                : Spread(bits);
            System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref System.Runtime.CompilerServices.Unsafe.Add(ref d, i), spread);
        }

        return i;
    }

    private static ulong Spread(ulong bits)
    {
        ulong r = 0;
        for (var k = 0; k < 8; k++) r |= ((bits >> k) & 1) << (8 * k);
        return r;
    }

    /// <summary>acc += x·x (floating-point), one fused multiply-add pass.</summary>
    public static void SquareAdd(DType dtype, ReadOnlySpan<byte> x, Span<byte> acc)
    {
        if (dtype == DType.Float64) TensorPrimitives.FusedMultiplyAdd(As<double>(x), As<double>(x), As<double>(acc), As<double>(acc));
        else TensorPrimitives.FusedMultiplyAdd(As<float>(x), As<float>(x), As<float>(acc), As<float>(acc));
    }

    public static void Where(DType dtype, ReadOnlySpan<byte> condition, ReadOnlySpan<byte> a, bool scalarA, ReadOnlySpan<byte> b, bool scalarB, Span<byte> dst)
    {
        var size = dtype.Size();
        for (var i = 0; i < condition.Length; i++)
        {
            var source = condition[i] != 0 ? (scalarA ? a[..size] : a.Slice(i * size, size)) : (scalarB ? b[..size] : b.Slice(i * size, size));
            source.CopyTo(dst.Slice(i * size, size));
        }
    }

    public static void Cast(DType from, DType to, ReadOnlySpan<byte> x, Span<byte> dst)
    {
        switch (from)
        {
            case DType.Float64: CastFrom(As<double>(x), dst, to); break;
            case DType.Float32: CastFrom(As<float>(x), dst, to); break;
            case DType.Int64: CastFrom(As<long>(x), dst, to); break;
            case DType.Int32: CastFrom(As<int>(x), dst, to); break;
            case DType.Int16: CastFrom(As<short>(x), dst, to); break;
            default: CastFrom(x, dst, to); break;
        }
    }

    private static void CastFrom<TFrom>(ReadOnlySpan<TFrom> src, Span<byte> dst, DType to) where TFrom : unmanaged, INumber<TFrom>
    {
        switch (to)
        {
            case DType.Bool:
                for (var i = 0; i < src.Length; i++) dst[i] = src[i] != TFrom.Zero ? (byte)1 : (byte)0;
                break;
            case DType.UInt8: TensorPrimitives.ConvertTruncating(src, As<byte>(dst)); break;
            case DType.Int16: TensorPrimitives.ConvertTruncating(src, As<short>(dst)); break;
            case DType.Int32: TensorPrimitives.ConvertTruncating(src, As<int>(dst)); break;
            case DType.Int64: TensorPrimitives.ConvertTruncating(src, As<long>(dst)); break;
            case DType.Float32: TensorPrimitives.ConvertTruncating(src, As<float>(dst)); break;
            default: TensorPrimitives.ConvertTruncating(src, As<double>(dst)); break;
        }
    }

    /// <summary>The number of non-zero bytes (bool tiles: the number of trues).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static long CountNonZeroBytes(ReadOnlySpan<byte> x)
    {
        long count = 0;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var src = ref MemoryMarshal.GetReference(x);
            for (; i <= x.Length - 64; i += 64)
            {
                var v = Vector512.LoadUnsafe(ref src, (nuint)i);
                count += BitOperations.PopCount(Vector512.Equals(v, Vector512<byte>.Zero).ExtractMostSignificantBits());
            }

            count = i - count;
        }

        for (; i < x.Length; i++) count += x[i] != 0 ? 1 : 0;
        return count;
    }

    public static void Fill(DType dtype, double value, long integer, Span<byte> dst)
    {
        switch (dtype)
        {
            case DType.Float64: As<double>(dst).Fill(value); break;
            case DType.Float32: As<float>(dst).Fill((float)value); break;
            case DType.Bool:
            case DType.UInt8: dst.Fill((byte)integer); break;
            case DType.Int16: As<short>(dst).Fill((short)integer); break;
            case DType.Int32: As<int>(dst).Fill((int)integer); break;
            default: As<long>(dst).Fill(integer); break;
        }
    }
}
