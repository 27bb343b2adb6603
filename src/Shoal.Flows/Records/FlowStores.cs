namespace Shoal.Flows;

/// <summary>Where run records are: <c>--db</c>, then <c>SHOAL_FLOWS_DB</c>, then <c>~/.shoal/flows.db</c>.</summary>
public static class FlowStores
{
    /// <summary>The environment variable naming the store.</summary>
    public const string EnvironmentVariable = "SHOAL_FLOWS_DB";

    /// <summary>The default SQLite file.</summary>
    public static string DefaultPath =>
        Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".shoal", "flows.db");

    /// <summary>What <paramref name="location"/>, else the environment, else the default names.</summary>
    /// <param name="location">A SQLite file, a <c>postgresql://</c> URI or an Npgsql connection string (<c>Host=...</c>); null for the default.</param>
    /// <returns>The location used.</returns>
    public static string Resolve(string? location) =>
        !string.IsNullOrWhiteSpace(location) ? location
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : DefaultPath;

    /// <summary>Opens (and creates the tables of) the store at a location.</summary>
    /// <param name="location">See <see cref="Resolve"/>.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The store.</returns>
    public static async Task<IFlowRunStore> OpenAsync(string? location = null, CancellationToken cancellationToken = default)
    {
        var resolved = Resolve(location);
        SqlFlowRunStore store = IsPostgres(resolved) ? new PostgresFlowRunStore(resolved) : new SqliteFlowRunStore(resolved);
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens the store at a location that must already hold one: a SQLite file that does not exist
    /// throws <see cref="FileNotFoundException"/> instead of being created (what the commands that only
    /// read runs use, so that a mistyped <c>--db</c> is an error, not an empty list).
    /// </summary>
    /// <param name="location">See <see cref="Resolve"/>.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The store.</returns>
    public static Task<IFlowRunStore> OpenExistingAsync(string? location = null, CancellationToken cancellationToken = default)
    {
        var resolved = Resolve(location);
        if (!IsPostgres(resolved) && !File.Exists(resolved))
            throw new FileNotFoundException($"no run store at {resolved} (nothing has recorded a flow run there)", resolved);
        return OpenAsync(resolved, cancellationToken);
    }

    private static bool IsPostgres(string location) =>
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || location.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>A <c>postgresql://user:password@host:port/database</c> URI as an Npgsql connection string (Npgsql takes only the latter).</summary>
    internal static string NpgsqlConnectionString(string location)
    {
        if (!location.Contains("://", StringComparison.Ordinal)) return location;
        var uri = new Uri(location);
        var builder = new Npgsql.NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } db ? Uri.UnescapeDataString(db) : "postgres",
        };
        if (uri.UserInfo is { Length: > 0 } info)
        {
            var parts = info.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }

        return builder.ConnectionString;
    }
}
