using System.Text;

namespace Shoal.Code;

/// <summary>
/// A native library as a code blob: a short header (the RID it was built for and its file name)
/// in front of the file's bytes. Code sets are lists of content hashes and a worker learns what
/// a blob is from the blob itself, so native libraries travel through the same upload, store and
/// fetch as assemblies without a change to the protocol. On a worker the library is written out
/// under its own file name (<c>native/&lt;hash&gt;/libe_sqlite3.so</c>) for the dynamic loader.
/// </summary>
internal static class NativeBlob
{
    private static readonly byte[] Magic = "SHOAL-NATIVE-1\n"u8.ToArray();
    private const int MaxHeader = 1024;

    /// <summary>The blob for <paramref name="fileBytes"/>, a native library for <paramref name="rid"/>.</summary>
    public static byte[] Wrap(string rid, string fileName, ReadOnlySpan<byte> fileBytes)
    {
        var header = Encoding.UTF8.GetBytes(rid + "\n" + fileName + "\n");
        var blob = new byte[Magic.Length + header.Length + fileBytes.Length];
        Magic.CopyTo(blob, 0);
        header.CopyTo(blob, Magic.Length);
        fileBytes.CopyTo(blob.AsSpan(Magic.Length + header.Length));
        return blob;
    }

    /// <summary>Reads the header of a stored blob; false when the blob is not a native library (an assembly).</summary>
    /// <exception cref="InvalidDataException">The header is malformed.</exception>
    public static bool TryReadHeader(string blobPath, out string rid, out string fileName, out int payloadOffset)
    {
        rid = fileName = "";
        payloadOffset = 0;
        Span<byte> head = stackalloc byte[MaxHeader];
        int read;
        using (var file = File.OpenRead(blobPath)) read = file.ReadAtLeast(head, MaxHeader, throwOnEndOfStream: false);
        head = head[..read];
        if (!head.StartsWith(Magic)) return false;
        var rest = head[Magic.Length..];
        var first = rest.IndexOf((byte)'\n');
        var second = first < 0 ? -1 : rest[(first + 1)..].IndexOf((byte)'\n');
        if (second < 0) throw new InvalidDataException($"code blob {Path.GetFileName(blobPath)} has a malformed native-library header");
        rid = Encoding.UTF8.GetString(rest[..first]);
        fileName = Encoding.UTF8.GetString(rest.Slice(first + 1, second));
        if (fileName.Length == 0 || fileName != Path.GetFileName(fileName) || fileName is "." or "..")
            throw new InvalidDataException($"code blob {Path.GetFileName(blobPath)} names a native library file '{fileName}' that is not a plain file name");
        payloadOffset = Magic.Length + first + 1 + second + 1;
        return true;
    }

    /// <summary>
    /// The library written out under its own file name in <c>&lt;store&gt;/native/&lt;hash&gt;/</c>
    /// (once; safe for several processes: written beside it, then moved into place).
    /// </summary>
    public static string Materialize(CodeStore store, string hash, string fileName, int payloadOffset)
    {
        var directory = Path.Combine(store.Directory, "native", hash);
        var path = Path.Combine(directory, fileName);
        if (File.Exists(path)) return path;
        var temp = directory + "." + Guid.NewGuid().ToString("N") + ".tmp";
        Directory.CreateDirectory(temp);
        using (var source = File.OpenRead(store.GetPath(hash)))
        using (var target = File.Create(Path.Combine(temp, fileName)))
        {
            source.Position = payloadOffset;
            source.CopyTo(target);
        }

        try
        {
            Directory.Move(temp, directory);
        }
        catch (IOException) when (File.Exists(path))
        {
            Directory.Delete(temp, recursive: true); // another process (or thread) won the race
        }

        return path;
    }
}
