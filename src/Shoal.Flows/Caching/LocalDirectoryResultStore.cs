using System.Text.Json;

namespace Shoal.Flows;

/// <summary>Results as JSON files in a directory (default <c>~/.shoal/results</c>), one per key, written atomically.</summary>
public sealed class LocalDirectoryResultStore : IResultStore
{
    /// <summary>A store in <paramref name="directory"/> (created when first written).</summary>
    /// <param name="directory">The directory; null: <c>~/.shoal/results</c>.</param>
    public LocalDirectoryResultStore(string? directory = null) =>
        Directory = directory ?? Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".shoal", "results");

    /// <summary>The directory.</summary>
    public string Directory { get; }

    /// <inheritdoc />
    public async Task<(bool Found, T Value)> TryReadAsync<T>(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) return (false, default!);
        Stored<T>? stored;
        try
        {
            await using var stream = File.OpenRead(path);
            stored = await JsonSerializer.DeserializeAsync<Stored<T>>(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return (false, default!); // written by another version of the type: a miss, recomputed and overwritten
        }

        if (stored is null || (stored.ExpiresTicks is { } ticks && ticks <= now.UtcTicks)) return (false, default!);
        return (true, stored.Value);
    }

    /// <inheritdoc />
    public async Task WriteAsync<T>(string key, T value, DateTimeOffset? expires, CancellationToken cancellationToken = default)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathOf(key);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, new Stored<T>(expires?.UtcTicks, value), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private string PathOf(string key)
    {
        if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new ArgumentException($"result key '{key}' may hold only letters, digits, '-' and '_'", nameof(key));
        return Path.Join(Directory, key + ".json");
    }

    private sealed record Stored<T>(long? ExpiresTicks, T Value);
}
