using System.Buffers.Binary;
using System.Text;
using Shoal.Protocol;
using Shoal.Transfer;

namespace Shoal.Execution;

/// <summary>
/// An append-only file of a worker's small results, so that they outlive the worker process: its
/// nanny gives it (and the replacement it starts when the worker dies) the same path in tmpfs, and
/// the replacement registers holding what the journal still has instead of the scheduler
/// recomputing it. Each record is <c>[u32 length][u32 CRC-32 of the body][body]</c>; a body is a
/// put (key, nbytes, type name, the value's serialized segments) or a tombstone (key). A record
/// torn by a kill mid-write, or with a wrong checksum, ends the reading there: nothing after it is
/// trusted. Writes are buffered and flushed by <see cref="Flush"/> (once per worker-loop
/// iteration), never fsynced: the point is surviving the process, not the machine. Thread-safe.
/// </summary>
internal sealed class ResultJournal : IDisposable
{
    /// <summary>Values larger than this (serialized) are not journaled: recomputing or spilling them is the better deal.</summary>
    public const long DefaultMaxValueBytes = 64 * 1024;

    /// <summary>The journal never grows past this (nor past <see cref="CapFraction"/> of the memory limit).</summary>
    public const long DefaultMaxBytes = 64L * 1024 * 1024;

    /// <summary>Of the worker's memory limit: the journal's cap (tmpfs is memory).</summary>
    public const double CapFraction = 0.05;

    private const byte PutKind = 1;
    private const byte TombstoneKind = 2;
    private const int HeaderBytes = 8;
    private const int MaxRecordBytes = 256 * 1024 * 1024;

    private readonly object _lock = new();
    private readonly string _path;
    private readonly Action<long>? _capReached;
    private readonly Action<string>? _failed;
    private readonly HashSet<string> _journaled = new(StringComparer.Ordinal);
    private FileStream _file;
    private long _liveBytes;
    private readonly Dictionary<string, long> _recordBytes = new(StringComparer.Ordinal);
    private long _length;
    private bool _full;
    private bool _disposed;

    private ResultJournal(string path, long maxBytes, long maxValueBytes, Action<long>? capReached, Action<string>? failed)
    {
        _failed = failed;
        _path = path;
        MaxBytes = maxBytes;
        MaxValueBytes = maxValueBytes;
        _capReached = capReached;
        _file = OpenForAppend(path);
        _length = _file.Length;
    }

    /// <summary>The journal file.</summary>
    public string Path => _path;

    /// <summary>Bytes past which no new value is journaled (after a compaction that did not bring it under half).</summary>
    public long MaxBytes { get; }

    /// <summary>Values whose serialized size is larger are not journaled.</summary>
    public long MaxValueBytes { get; }

    /// <summary>The journal's size in bytes (written or buffered).</summary>
    public long Length
    {
        get { lock (_lock) return _length; }
    }

    /// <summary>Whether the cap stopped journaling new values.</summary>
    public bool Full
    {
        get { lock (_lock) return _full; }
    }

    /// <summary>The journal's cap for a worker with <paramref name="memoryLimit"/> bytes (0: no limit).</summary>
    public static long CapFor(long memoryLimit) =>
        memoryLimit > 0 ? Math.Min(DefaultMaxBytes, (long)(memoryLimit * CapFraction)) : DefaultMaxBytes;

    /// <summary>
    /// Opens (creating it, mode 0600) the journal at <paramref name="path"/>; what it held before (a
    /// dead predecessor's results) is returned, and the file is compacted to just those.
    /// <paramref name="capReached"/> is called once, with the cap, when it stops journaling new values;
    /// <paramref name="failed"/> once, with the reason, if writing fails (e.g. tmpfs full): the journal then
    /// deletes its file (it could no longer record releases) and does nothing more; the worker goes on.
    /// </summary>
    public static (ResultJournal Journal, IReadOnlyList<KeyValuePair<string, EncodedValue>> Recovered) Open(
        string path, long maxBytes = DefaultMaxBytes, long maxValueBytes = DefaultMaxValueBytes, Action<long>? capReached = null, Action<string>? failed = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var live = File.Exists(path) ? ReadLive(path) : new Dictionary<string, EncodedValue>(StringComparer.Ordinal);
        var sizes = WriteCompacted(path, live);
        var journal = new ResultJournal(path, maxBytes, maxValueBytes, capReached, failed);
        foreach (var (key, size) in sizes)
        {
            journal._journaled.Add(key);
            journal._recordBytes[key] = size;
            journal._liveBytes += size;
        }

        return (journal, live.ToList());
    }

    /// <summary>
    /// Journals <paramref name="key"/>'s value, unless it is too big, the journal is full, or it
    /// cannot be serialized (<paramref name="encode"/> throws); false when not journaled. Serializes only
    /// when <paramref name="estimatedBytes"/> is under the value limit.
    /// </summary>
    public bool TryAppend(string key, long estimatedBytes, Func<EncodedValue> encode)
    {
        ArgumentNullException.ThrowIfNull(encode);
        if (estimatedBytes > MaxValueBytes) return Forget(key);
        lock (_lock)
        {
            if (_full || _disposed) return ForgetLocked(key);
        }

        EncodedValue value;
        try
        {
            value = encode();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Forget(key); // no serializer for it: it dies with the process, as before
        }

        long bytes = 0;
        foreach (var segment in value.Segments)
        {
            if (segment.IsObject) return Forget(key);
            bytes += segment.Bytes.Length;
        }

        if (bytes > MaxValueBytes) return Forget(key);
        var record = Encode(key, value);
        lock (_lock)
        {
            if (_disposed) return false;
            if (_length + record.Length > MaxBytes && !MakeRoomLocked(record.Length)) return ForgetLocked(key);
            WriteLocked(record);
            if (_disposed) return false;
            _journaled.Add(key);
            _liveBytes += record.Length - (_recordBytes.TryGetValue(key, out var old) ? old : 0);
            _recordBytes[key] = record.Length;
            return true;
        }
    }

    /// <summary>The key left the worker's store: a tombstone, when it was journaled.</summary>
    public bool Remove(string key)
    {
        lock (_lock) return ForgetLocked(key);
    }

    /// <summary>Writes what is buffered to the file (no fsync).</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_disposed) return;
            try
            {
                _file.Flush(flushToDisk: false);
            }
            catch (IOException e)
            {
                FailLocked(e);
            }
        }
    }

    /// <summary>Writing failed: the file goes (a journal that misses releases must not be read back) and so does the journal.</summary>
    private void FailLocked(Exception e)
    {
        _disposed = true;
        try
        {
            _file.Dispose();
        }
        catch (IOException)
        {
            // What was buffered cannot be written either.
        }

        try
        {
            File.Delete(_path);
        }
        catch (Exception deleting) when (deleting is IOException or UnauthorizedAccessException)
        {
            // Its nanny removes its directory anyway.
        }

        _failed?.Invoke(e.Message);
    }

    /// <summary>Closes the file; it stays for whoever comes next (the nanny removes it).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                _file.Dispose();
            }
            catch (IOException)
            {
                // What was buffered could not be written: the next one reads up to the tear.
            }
        }
    }

    private bool Forget(string key)
    {
        lock (_lock) return ForgetLocked(key);
    }

    private bool ForgetLocked(string key)
    {
        if (_disposed || !_journaled.Remove(key)) return false;
        if (_recordBytes.Remove(key, out var bytes)) _liveBytes -= bytes;
        WriteLocked(EncodeTombstone(key));
        return false;
    }

    private void WriteLocked(byte[] record)
    {
        try
        {
            _file.Write(record);
            _length += record.Length;
        }
        catch (IOException e)
        {
            FailLocked(e);
        }
    }

    /// <summary>Compacts when that frees enough; otherwise the journal is full from now on (said once).</summary>
    private bool MakeRoomLocked(int needed)
    {
        if (_liveBytes + needed <= MaxBytes / 2)
        {
            try
            {
                _file.Flush(flushToDisk: false);
                _file.Dispose();
                WriteCompacted(_path, ReadLive(_path));
                _file = OpenForAppend(_path);
                _length = _file.Length;
                return true;
            }
            catch (IOException e)
            {
                FailLocked(e);
                return false;
            }
        }

        _full = true;
        _capReached?.Invoke(MaxBytes);
        return false;
    }

    private static FileStream OpenForAppend(string path) =>
        new(path, OwnerOnly(new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 1 << 16 }));

    /// <summary>Created readable and writable by this user only (0600): results are the user's data.</summary>
    private static FileStreamOptions OwnerOnly(FileStreamOptions options)
    {
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    /// <summary>
    /// Rewrites <paramref name="path"/> with just <paramref name="live"/> (a new file renamed over it: never
    /// half-written); returns each key's record size, so the caller need not encode them again.
    /// </summary>
    private static Dictionary<string, int> WriteCompacted(string path, Dictionary<string, EncodedValue> live)
    {
        var sizes = new Dictionary<string, int>(live.Count, StringComparer.Ordinal);
        var temporary = path + ".compacting";
        using (var file = new FileStream(temporary, OwnerOnly(new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, BufferSize = 1 << 16 })))
        {
            foreach (var (key, value) in live)
            {
                var record = Encode(key, value);
                file.Write(record);
                sizes[key] = record.Length;
            }
        }

        File.Move(temporary, path, overwrite: true);
        return sizes;
    }

    /// <summary>The values the journal holds: puts in order, a later put or a tombstone replacing an earlier one; stops at a torn or corrupt record.</summary>
    internal static Dictionary<string, EncodedValue> ReadLive(string path)
    {
        var live = new Dictionary<string, EncodedValue>(StringComparer.Ordinal);
        var bytes = File.ReadAllBytes(path);
        var at = 0;
        while (bytes.Length - at >= HeaderBytes)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
            var checksum = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4));
            if (length == 0 || length > MaxRecordBytes || length > bytes.Length - at - HeaderBytes) break; // torn
            var body = bytes.AsMemory(at + HeaderBytes, (int)length);
            if (System.IO.Hashing.Crc32.HashToUInt32(body.Span) != checksum) break; // torn or corrupt: nothing after it is trusted
            if (!TryDecode(body, out var key, out var value)) break;
            if (value is null) live.Remove(key);
            else live[key] = value;
            at += HeaderBytes + (int)length;
        }

        return live;
    }

    private static byte[] Encode(string key, EncodedValue value)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var typeBytes = Encoding.UTF8.GetBytes(value.TypeName);
        long body = 1 + 4 + keyBytes.Length + 8 + 4 + typeBytes.Length + 4;
        foreach (var segment in value.Segments) body += 4 + segment.Bytes.Length;
        if (body > MaxRecordBytes) throw new ArgumentException($"a journal record of {body} bytes is too large", nameof(value));
        var record = new byte[HeaderBytes + body];
        var span = record.AsSpan(HeaderBytes);
        span[0] = PutKind;
        var at = 1;
        at = WriteBytes(span, at, keyBytes);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], value.Nbytes);
        at += 8;
        at = WriteBytes(span, at, typeBytes);
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], value.Segments.Length);
        at += 4;
        foreach (var segment in value.Segments) at = WriteBytes(span, at, segment.Bytes.Span);
        Seal(record);
        return record;
    }

    private static byte[] EncodeTombstone(string key)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var record = new byte[HeaderBytes + 1 + 4 + keyBytes.Length];
        var span = record.AsSpan(HeaderBytes);
        span[0] = TombstoneKind;
        WriteBytes(span, 1, keyBytes);
        Seal(record);
        return record;
    }

    private static void Seal(byte[] record)
    {
        var body = record.AsSpan(HeaderBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), System.IO.Hashing.Crc32.HashToUInt32(body));
    }

    private static int WriteBytes(Span<byte> span, int at, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], bytes.Length);
        bytes.CopyTo(span[(at + 4)..]);
        return at + 4 + bytes.Length;
    }

    /// <summary>Decodes a body whose checksum matched; value null for a tombstone; false when it does not parse.</summary>
    private static bool TryDecode(ReadOnlyMemory<byte> body, out string key, out EncodedValue? value)
    {
        key = "";
        value = null;
        var span = body.Span;
        var at = 1;
        if (span.Length < 1 || !TryReadBytes(body, ref at, out var keyBytes)) return false;
        key = Encoding.UTF8.GetString(keyBytes.Span);
        if (span[0] == TombstoneKind) return at == span.Length;
        if (span[0] != PutKind || span.Length - at < 8) return false;
        var nbytes = BinaryPrimitives.ReadInt64LittleEndian(span[at..]);
        at += 8;
        if (!TryReadBytes(body, ref at, out var typeBytes) || span.Length - at < 4) return false;
        var count = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
        at += 4;
        if (count < 0 || count > (span.Length - at) / 4) return false;
        var segments = new Segment[count];
        for (var i = 0; i < count; i++)
        {
            if (!TryReadBytes(body, ref at, out var segment)) return false;
            segments[i] = new Segment(segment);
        }

        value = new EncodedValue(segments, nbytes, Encoding.UTF8.GetString(typeBytes.Span));
        return at == span.Length;
    }

    private static bool TryReadBytes(ReadOnlyMemory<byte> body, ref int at, out ReadOnlyMemory<byte> bytes)
    {
        bytes = default;
        if (body.Length - at < 4) return false;
        var length = BinaryPrimitives.ReadInt32LittleEndian(body.Span[at..]);
        if (length < 0 || length > body.Length - at - 4) return false;
        bytes = body.Slice(at + 4, length);
        at += 4 + length;
        return true;
    }
}
