namespace Shoal.Flows;

/// <summary>Where task results are persisted and cached results are found (a local directory by default).</summary>
public interface IResultStore
{
    /// <summary>Reads a result that has not expired.</summary>
    /// <typeparam name="T">The result's type.</typeparam>
    /// <param name="key">The result's key (a cache key or a task run id).</param>
    /// <param name="now">The current time, for the expiry.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>Whether it was found, and the value.</returns>
    Task<(bool Found, T Value)> TryReadAsync<T>(string key, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Writes a result.</summary>
    /// <typeparam name="T">The result's type.</typeparam>
    /// <param name="key">The result's key.</param>
    /// <param name="value">The value.</param>
    /// <param name="expires">When it stops counting as a cache hit; null: never.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>Completes when written.</returns>
    Task WriteAsync<T>(string key, T value, DateTimeOffset? expires, CancellationToken cancellationToken = default);
}
