using System.Data.Common;
using Npgsql;

namespace Shoal.Flows;

/// <summary>Run records in a PostgreSQL database, for runners and readers on several machines.</summary>
public sealed class PostgresFlowRunStore : SqlFlowRunStore
{
    private readonly NpgsqlDataSource dataSource;

    /// <summary>A store over the database a connection string names.</summary>
    /// <param name="connectionString">An Npgsql connection string or a <c>postgresql://</c> URI.</param>
    public PostgresFlowRunStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        dataSource = NpgsqlDataSource.Create(FlowStores.NpgsqlConnectionString(connectionString));
    }

    private protected override string SequenceKey => "BIGSERIAL PRIMARY KEY";

    private protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await dataSource.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
