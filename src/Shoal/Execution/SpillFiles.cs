using System.Buffers.Binary;
using Shoal.Protocol;
using Shoal.Serialization;
using Shoal.Transfer;

namespace Shoal.Execution;

/// <summary>
/// A worker's spill directory: one file per spilled value (its segments, each length-prefixed).
/// The directory is created on the first spill and deleted, with whatever is left in it, when
/// the worker stops; a value's file goes when the value is read back or forgotten.
/// </summary>
internal sealed class SpillFiles : IDisposable
{
    private readonly string _directory;
    private long _next;
    private bool _created;

    /// <param name="parent">Where to create the directory (null: the system temp directory).</param>
    /// <param name="owner">Names the directory (the worker's name).</param>
    public SpillFiles(string? parent, string owner)
    {
        var safe = string.Concat(owner.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        _directory = Path.Combine(parent ?? Path.GetTempPath(), $"shoal-spill-{safe}-{Guid.NewGuid().ToString("N")[..8]}");
    }

    /// <summary>The directory spilled values go to.</summary>
    public string Directory => _directory;

    /// <summary>Writes a value; returns its file.</summary>
    public string Write(EncodedValue value)
    {
        if (!_created)
        {
            System.IO.Directory.CreateDirectory(_directory);
            _created = true;
        }

        var path = Path.Combine(_directory, $"{Interlocked.Increment(ref _next)}.bin");
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(header, value.Segments.Length);
        file.Write(header[..4]);
        foreach (var segment in value.Segments)
        {
            BinaryPrimitives.WriteInt64LittleEndian(header, segment.Length);
            file.Write(header);
            file.Write(segment.Bytes.Span);
        }

        return path;
    }

    /// <summary>
    /// Reads a value's segments back. The body of a big array is read straight into the array the
    /// value will be (after its descriptor, as a received frame is: <see cref="ReceivedArrays"/>),
    /// so reading back a spilled 1 GB array does not make a gigabyte of bytes to copy from.
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var left = file.Length;
        if (left < 4) throw new InvalidDataException($"spill file {path} is corrupt: {left} bytes");
        Span<byte> header = stackalloc byte[8];
        file.ReadExactly(header[..4]);
        left -= 4;
        var count = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (count < 0 || count > left / 8) throw new InvalidDataException($"spill file {path} is corrupt: {count} segments");
        var segments = new ReadOnlyMemory<byte>[count];
        var targets = new ReceivedArrays();
        targets.FrameStarted();
        for (var i = 0; i < count; i++)
        {
            file.ReadExactly(header);
            left -= 8;
            var length = BinaryPrimitives.ReadInt64LittleEndian(header);
            if (length < 0 || length > left || length > Array.MaxLength) throw new InvalidDataException($"spill file {path} is corrupt: a segment of {length} bytes");
            var memory = i > 0 && length >= UnmanagedArrayFormat.DescribedThreshold
                ? targets.TargetFor(segments[i - 1].Span, (int)length, left)
                : Memory<byte>.Empty;
            if (memory.Length != length) memory = GC.AllocateUninitializedArray<byte>((int)length);
            file.ReadExactly(memory.Span);
            left -= length;
            segments[i] = memory;
        }

        return segments;
    }

    public void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Gone with the directory at the end anyway.
        }
    }

    public void Dispose()
    {
        if (!_created) return;
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still open elsewhere.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}
