using System.Collections.Concurrent;
using System.Net;
using Shoal.Protocol;

namespace Shoal.Security;

/// <summary>
/// Where a process finds credentials nobody passed explicitly, by the scheduler's address:
/// <list type="number">
/// <item>clusters started in this process (<see cref="LocalCluster"/> registers its own);</item>
/// <item>a token file a scheduler on this machine wrote under <c>~/.shoal/clusters/</c>, as Jupyter does.</item>
/// </list>
/// Credentials a parent process hands down its pipe are not here: <see cref="ParentPipeCredentials"/>
/// returns them to the worker host, which passes them on in its options.
/// An instance is passed explicitly (in the options of clients, servers, hosts, clusters and the
/// CLI's context); who is given none uses <see cref="ForThisUser"/>, which is what lets
/// <c>Client.ConnectAsync(address)</c> find the credentials of a <see cref="LocalCluster"/>
/// started in the same process. Tests make their own, with their own token directory.
/// </summary>
internal sealed class LocalCredentials
{
    private readonly ConcurrentDictionary<string, SecurityOptions> _inProcess = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Finds and publishes credentials under <paramref name="directory"/> (the token files' directory).</summary>
    public LocalCredentials(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = directory;
    }

    /// <summary>
    /// This user's: token files under <c>~/.shoal/clusters</c>, and the clusters this process
    /// registered. Used where nobody passed another instance.
    /// </summary>
    public static LocalCredentials ForThisUser { get; } =
        new(Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".shoal", "clusters"));

    /// <summary>Directory of the per-cluster token files (mode 0700).</summary>
    public string Directory { get; }

    /// <summary>Credentials for dialling <paramref name="address"/>, or null when none are known.</summary>
    public SecurityOptions? Find(string address)
    {
        var key = Key(address);
        if (key is null) return null;
        if (_inProcess.TryGetValue(key, out var registered)) return registered;
        var file = TokenFilePath(key);
        if (file is null || !File.Exists(file)) return null;
        try
        {
            var (token, ownerGone) = TokenFileOwner.Read(file);
            // Left behind by a scheduler that was killed: not this port's credentials (whoever listens there now).
            return ownerGone ? null : SecurityOptions.FromToken(token).AsFoundOnDisk();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Makes <paramref name="security"/> what this process uses to dial <paramref name="address"/>; dispose to forget it.</summary>
    public IDisposable Register(string address, SecurityOptions security)
    {
        var key = Key(address) ?? throw new ArgumentException($"bad address '{address}'", nameof(address));
        _inProcess[key] = security;
        return new Forget(() => _inProcess.TryRemove(new KeyValuePair<string, SecurityOptions>(key, security)));
    }

    /// <summary>
    /// Writes <paramref name="token"/> to this address's token file, readable and writable only by
    /// this user (directory 0700, file 0600, created with those modes: never readable by others,
    /// not even briefly). Dispose to delete it.
    /// </summary>
    public IDisposable WriteTokenFile(string address, string token)
    {
        var key = Key(address) ?? throw new ArgumentException($"bad address '{address}'", nameof(address));
        var path = TokenFilePath(key)!;
        System.IO.Directory.CreateDirectory(Directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.GetDirectoryName(Directory)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        WritePrivateFile(path, token + "\n" + TokenFileOwner.Line + "\n");
        return new Forget(() =>
        {
            try { File.Delete(path); }
            catch (IOException) { }
        });
    }

    /// <summary>Writes a file created with mode 0600 (replacing any older one).</summary>
    public static void WritePrivateFile(string path, string text)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    /// <summary>The token file of a scheduler address (loopback only), or null.</summary>
    public string? TokenFilePath(string address)
    {
        var key = Key(address);
        if (key is null || !key.StartsWith("tcp://127.0.0.1:", StringComparison.Ordinal)) return null;
        return Path.Join(Directory, "127.0.0.1-" + key["tcp://127.0.0.1:".Length..] + ".token");
    }

    /// <summary>Canonical form: loopback spellings become 127.0.0.1, tls and tcp share a key.</summary>
    private static string? Key(string address)
    {
        if (!ShoalAddress.TryParse(address, out var parsed, out _)) return null;
        if (parsed.Scheme == "inproc") return parsed.ToString();
        var host = parsed.Host;
        if (host.Length == 0 || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)))
            host = "127.0.0.1";
        return ShoalAddress.Tcp(host, parsed.Port).ToString();
    }


    private sealed class Forget(Action action) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) action();
        }
    }
}
