using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Shoal.Arrays;

/// <summary>
/// NumPy's <c>.npy</c> format (version 1.0 written; 1.0-3.0 read): a magic string, a header
/// dictionary with the dtype, the order and the shape, then the raw little-endian elements.
/// No served NuGet package reads .npy for spans (NumSharp is unmaintained and not on the
/// mirror), hence this file.
/// </summary>
public static partial class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The .npy dtype string of an element type.</summary>
    public static string Descr(DType dtype) => dtype switch
    {
        DType.Bool => "|b1",
        DType.UInt8 => "|u1",
        DType.Int16 => "<i2",
        DType.Int32 => "<i4",
        DType.Int64 => "<i8",
        DType.Float32 => "<f4",
        _ => "<f8",
    };

    /// <summary>Writes an array as .npy.</summary>
    public static async Task WriteAsync<T>(Stream stream, Dense<T> array, CancellationToken cancellationToken = default) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        var shape = array.Rank switch
        {
            0 => "()",
            1 => $"({array.Shape[0]},)",
            _ => $"({string.Join(", ", array.Shape)})",
        };
        var dict = $"{{'descr': '{Descr(DTypes.Of<T>())}', 'fortran_order': False, 'shape': {shape}, }}";
        var headerLength = 10 + dict.Length + 1;
        var padded = (headerLength + 63) / 64 * 64;
        var header = new byte[padded];
        Magic.CopyTo(header);
        header[6] = 1;
        header[7] = 0;
        BitConverter.TryWriteBytes(header.AsSpan(8, 2), (ushort)(padded - 10));
        Encoding.ASCII.GetBytes(dict).CopyTo(header, 10);
        header.AsSpan(10 + dict.Length, padded - 10 - dict.Length - 1).Fill((byte)' ');
        header[^1] = (byte)'\n';
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException(".npy writing needs a little-endian machine");
        await stream.WriteAsync(MemoryMarshal.AsBytes(array.Data.AsSpan()).ToArray(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a .npy array of element type <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidDataException">Not .npy, another dtype, Fortran order, or too short.</exception>
    public static async Task<Dense<T>> ReadAsync<T>(Stream stream, CancellationToken cancellationToken = default) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        var prefix = new byte[8];
        await stream.ReadExactlyAsync(prefix, cancellationToken).ConfigureAwait(false);
        if (!prefix.AsSpan(0, 6).SequenceEqual(Magic)) throw new InvalidDataException("not a .npy file (no \\x93NUMPY magic)");
        var major = prefix[6];
        int length;
        if (major == 1)
        {
            var b = new byte[2];
            await stream.ReadExactlyAsync(b, cancellationToken).ConfigureAwait(false);
            length = BitConverter.ToUInt16(b);
        }
        else if (major is 2 or 3)
        {
            var b = new byte[4];
            await stream.ReadExactlyAsync(b, cancellationToken).ConfigureAwait(false);
            length = checked((int)BitConverter.ToUInt32(b));
        }
        else
        {
            throw new InvalidDataException($".npy format version {major} is not supported (1, 2 and 3 are)");
        }

        var text = new byte[length];
        await stream.ReadExactlyAsync(text, cancellationToken).ConfigureAwait(false);
        var dict = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(text);
        var descr = DescrPattern().Match(dict);
        var fortran = FortranPattern().Match(dict);
        var shapeMatch = ShapePattern().Match(dict);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success) throw new InvalidDataException($"malformed .npy header: {dict.Trim()}");
        var want = Descr(DTypes.Of<T>());
        var got = descr.Groups[1].Value;
        if (got != want && !(got[1..] == want[1..] && got[0] is '=' or '|' or '<'))
            throw new InvalidDataException($"the file holds '{got}' elements, not {typeof(T).Name} ('{want}')");
        if (fortran.Groups[1].Value == "True") throw new InvalidDataException("Fortran-order .npy files are not supported: save with numpy.ascontiguousarray");
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.Parse(d.TrimEnd('L'), CultureInfo.InvariantCulture)).ToArray();
        var data = new T[Shapes.Size(shape)];
        var bytes = new byte[checked(data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>())];
        await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        MemoryMarshal.Cast<byte, T>(bytes).CopyTo(data);
        return new Dense<T>(data, shape);
    }

    /// <summary>Computes an array and writes it to a .npy file.</summary>
    public static async Task SaveAsync<T>(Client client, NDArray<T> array, string path, CancellationToken cancellationToken = default) where T : unmanaged
    {
        var dense = await array.ComputeAsync(client, cancellationToken).ConfigureAwait(false);
        await using var file = File.Create(path);
        await WriteAsync(file, dense, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a .npy file and scatters it to the cluster in chunks.</summary>
    public static async Task<NDArray<T>> LoadAsync<T>(Client client, string path, long[]? chunks = null, CancellationToken cancellationToken = default) where T : unmanaged
    {
        await using var file = File.OpenRead(path);
        var dense = await ReadAsync<T>(file, cancellationToken).ConfigureAwait(false);
        return await NDArray.FromArrayAsync(client, dense, chunks, cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
