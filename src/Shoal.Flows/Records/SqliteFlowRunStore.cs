using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Shoal.Flows;

/// <summary>Run records in a SQLite file (the default: <c>~/.shoal/flows.db</c>); no server, readable by <c>shoal flows</c> from any process.</summary>
public sealed class SqliteFlowRunStore : SqlFlowRunStore
{
    private readonly string connectionString;

    /// <summary>A store in the file at <paramref name="path"/> (created with its directory).</summary>
    /// <param name="path">The database file.</param>
    public SqliteFlowRunStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        // Busy waits up to the default timeout (30 s) when another process writes: WAL lets readers go on meanwhile.
        connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    private protected override string SequenceKey => "INTEGER PRIMARY KEY AUTOINCREMENT";

    /// <inheritdoc />
    public override async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } directory) Directory.CreateDirectory(directory);
        await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode=WAL";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await base.InitializeAsync(cancellationToken).ConfigureAwait(false);
    }

    private protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // Durable across a process crash, which is what run records need; an fsync per batch is not.
        command.CommandText = "PRAGMA synchronous=NORMAL";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearPool(new SqliteConnection(connectionString));
        return base.DisposeAsync();
    }
}
