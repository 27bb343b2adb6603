namespace Shoal.Code;

/// <summary>
/// A content-addressed directory of code blobs (assembly files), named by their SHA-256.
/// Safe for several processes: blobs are written to a temporary file and moved into place.
/// </summary>
internal sealed class CodeStore
{
    /// <summary>Opens (creating if needed) a store in <paramref name="directory"/>; default <c>~/.shoal/code</c>, or under the temp directory when there is no home.</summary>
    public CodeStore(string? directory = null)
    {
        Directory = directory ?? DefaultDirectory();
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The store's directory.</summary>
    public string Directory { get; }

    /// <summary>The default directory.</summary>
    public static string DefaultDirectory()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home)
            ? Path.Combine(Path.GetTempPath(), "shoal-code-" + Environment.UserName)
            : Path.Combine(home, ".shoal", "code");
    }

    /// <summary>True if the blob is in the store.</summary>
    public bool Has(string hash) => File.Exists(PathOf(hash));

    /// <summary>Adds a blob after checking that its bytes hash to <paramref name="hash"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes do not match the hash.</exception>
    public void Put(string hash, ReadOnlySpan<byte> bytes)
    {
        var actual = CodeHash.Of(bytes);
        if (!string.Equals(actual, hash, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"code blob does not match its hash: expected {hash}, got {actual}");
        var path = PathOf(hash);
        if (File.Exists(path)) return;
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var file = File.Create(temp)) file.Write(bytes);
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }
    }

    /// <summary>Adds a blob and returns its hash.</summary>
    public string Put(ReadOnlySpan<byte> bytes)
    {
        var hash = CodeHash.Of(bytes);
        Put(hash, bytes);
        return hash;
    }

    /// <summary>The file of a blob.</summary>
    /// <exception cref="FileNotFoundException">The blob is not in the store.</exception>
    public string GetPath(string hash)
    {
        var path = PathOf(hash);
        return File.Exists(path) ? path : throw new FileNotFoundException($"code blob {hash} is not in the store {Directory}", path);
    }

    /// <summary>The hashes of <paramref name="hashes"/> that are not in the store.</summary>
    public IReadOnlyList<string> Missing(IEnumerable<string> hashes) => hashes.Where(h => !Has(h)).ToList();

    private string PathOf(string hash)
    {
        if (!CodeHash.IsValid(hash.ToLowerInvariant())) throw new ArgumentException($"not a SHA-256 hex hash: '{hash}'", nameof(hash));
        return Path.Combine(Directory, hash.ToLowerInvariant() + ".dll");
    }
}
