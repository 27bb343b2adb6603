using System.Data;
using System.Data.Common;

namespace Shoal.Flows;

/// <summary>
/// The store in plain SQL over ADO.NET: the same statements for SQLite and PostgreSQL (both take
/// <c>@name</c> parameters and <c>ON CONFLICT DO NOTHING</c>); only the key column of the
/// append-only tables and the connection differ. Times are stored as UTC ticks.
/// </summary>
public abstract class SqlFlowRunStore : IFlowRunStore
{
    /// <summary>The column definition of an auto-incremented 64-bit key.</summary>
    private protected abstract string SequenceKey { get; }

    /// <summary>Opens a connection (pooled by the provider).</summary>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>An open connection.</returns>
    private protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public virtual async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        string[] ddl =
        [
            "CREATE TABLE IF NOT EXISTS flow_runs (id TEXT PRIMARY KEY, name TEXT NOT NULL, flow_name TEXT NOT NULL, parent_id TEXT, parameters TEXT NOT NULL, state TEXT NOT NULL, error TEXT, cause TEXT, created BIGINT NOT NULL, updated BIGINT NOT NULL, history TEXT NOT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0)",
            "CREATE INDEX IF NOT EXISTS flow_runs_name ON flow_runs (name)",
            "CREATE TABLE IF NOT EXISTS task_runs (id TEXT PRIMARY KEY, flow_run_id TEXT NOT NULL, name TEXT NOT NULL, task_name TEXT NOT NULL, upstream TEXT NOT NULL, state TEXT NOT NULL, error TEXT, cause TEXT, attempts INTEGER NOT NULL, created BIGINT NOT NULL, updated BIGINT NOT NULL, history TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS task_runs_flow ON task_runs (flow_run_id)",
            $"CREATE TABLE IF NOT EXISTS logs (seq {SequenceKey}, flow_run_id TEXT NOT NULL, task_run_id TEXT, at BIGINT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS logs_flow ON logs (flow_run_id, seq)",
            "CREATE TABLE IF NOT EXISTS schedule_claims (deployment TEXT NOT NULL, instant BIGINT NOT NULL, claimed BIGINT NOT NULL, PRIMARY KEY (deployment, instant))",
        ];
        foreach (var statement in ddl) await ExecuteAsync(connection, null, statement, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<RunEvent> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0) return;
        var batch = CoalescedBatch.Of(events);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await InsertRowsAsync(connection, transaction, "flow_runs", ["id", "name", "flow_name", "parent_id", "parameters", "state", "error", "cause", "created", "updated", "history"],
            batch.FlowRuns.Select(x => new object?[] { x.Run.Id.ToString(), x.Run.Name, x.Run.FlowName, x.Run.ParentId?.ToString(), x.Run.Parameters, x.Run.State.ToString(), x.Run.Error, x.Run.Cause, x.Run.Created.UtcTicks, x.Run.Updated.UtcTicks, x.History.ToString() }),
            cancellationToken).ConfigureAwait(false);
        await InsertRowsAsync(connection, transaction, "task_runs", ["id", "flow_run_id", "name", "task_name", "upstream", "state", "error", "cause", "attempts", "created", "updated", "history"],
            batch.TaskRuns.Select(x => new object?[] { x.Run.Id.ToString(), x.Run.FlowRunId.ToString(), x.Run.Name, x.Run.TaskName, string.Join(',', x.Run.Upstream), x.Run.State.ToString(), x.Run.Error, x.Run.Cause, (long)x.Run.Attempts, x.Run.Created.UtcTicks, x.Run.Updated.UtcTicks, x.History.ToString() }),
            cancellationToken).ConfigureAwait(false);
        using (var updates = new WriteBatch(connection, transaction))
        {
            foreach (var (s, history) in batch.FlowRunUpdates)
            {
                await updates.Run("UPDATE flow_runs SET state = @state, error = @error, cause = @cause, updated = @at, history = history || @history WHERE id = @id",
                    cancellationToken, ("id", s.Id.ToString()), ("state", s.State.ToString()), ("error", s.Error), ("cause", s.Cause), ("at", s.When.UtcTicks), ("history", history.ToString())).ConfigureAwait(false);
            }

            foreach (var (s, history) in batch.TaskRunUpdates)
            {
                await updates.Run("UPDATE task_runs SET state = @state, error = @error, cause = @cause, attempts = @attempts, updated = @at, history = history || @history WHERE id = @id",
                    cancellationToken, ("id", s.Id.ToString()), ("state", s.State.ToString()), ("error", s.Error), ("cause", s.Cause),
                    ("attempts", (long)s.Attempts), ("at", s.When.UtcTicks), ("history", history.ToString())).ConfigureAwait(false);
            }
        }

        await InsertRowsAsync(connection, transaction, "logs", ["flow_run_id", "task_run_id", "at", "level", "message"],
            batch.Logs.Select(l => new object?[] { l.FlowRunId.ToString(), l.TaskRunId?.ToString(), l.When.UtcTicks, l.Level, l.Message }), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One prepared single-row INSERT per table, executed per row with new values. (Multi-row
    /// INSERTs were 5 times slower with Microsoft.Data.Sqlite: it matches every statement
    /// parameter to the command's by name, so a statement's cost grows with the square of its
    /// parameters.)
    /// </summary>
    private static async Task InsertRowsAsync(DbConnection connection, DbTransaction transaction, string table, string[] columns, IEnumerable<object?[]> rows, CancellationToken cancellationToken)
    {
        DbCommand? command = null;
        try
        {
            foreach (var row in rows)
            {
                if (command is null)
                {
                    command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => "@" + c))})";
                    for (var c = 0; c < columns.Length; c++) AddParameter(command, columns[c], row[c]);
                }
                else
                {
                    for (var c = 0; c < columns.Length; c++)
                    {
                        var parameter = command.Parameters[c];
                        parameter.DbType = row[c] is long ? DbType.Int64 : DbType.String;
                        parameter.Value = row[c] ?? DBNull.Value;
                    }
                }

                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (command is not null) await command.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FlowRunRecord>> ListFlowRunsAsync(int limit = 50, CancellationToken cancellationToken = default) =>
        await QueryAsync($"SELECT {FlowRunColumns} FROM flow_runs ORDER BY created DESC LIMIT {Math.Max(1, limit)}", ReadFlowRun, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<FlowRunRecord?> FindFlowRunAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrName);
        var exact = await QueryAsync($"SELECT {FlowRunColumns} FROM flow_runs WHERE id = @x OR name = @x ORDER BY created DESC LIMIT 1",
            ReadFlowRun, cancellationToken, ("x", idOrName)).ConfigureAwait(false);
        if (exact.Count > 0) return exact[0];
        var prefixed = await QueryAsync($"SELECT {FlowRunColumns} FROM flow_runs WHERE id LIKE @x LIMIT 2",
            ReadFlowRun, cancellationToken, ("x", idOrName.Replace("%", "", StringComparison.Ordinal) + "%")).ConfigureAwait(false);
        return prefixed.Count switch
        {
            0 => null,
            1 => prefixed[0],
            _ => throw new ArgumentException($"'{idOrName}' is the start of more than one flow run's id: give more of it"),
        };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskRunRecord>> TaskRunsAsync(Guid flowRunId, CancellationToken cancellationToken = default) =>
        await QueryAsync("SELECT id, flow_run_id, name, task_name, upstream, state, error, cause, attempts, created, updated FROM task_runs WHERE flow_run_id = @id ORDER BY created, name",
            r => new TaskRunRecord(Guid.Parse(r.GetString(0)), Guid.Parse(r.GetString(1)), r.GetString(2), r.GetString(3),
                [.. r.GetString(4).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse)], Enum.Parse<RunState>(r.GetString(5)),
                Text(r, 6), Text(r, 7), (int)r.GetInt64(8), Time(r.GetInt64(9)), Time(r.GetInt64(10))),
            cancellationToken, ("id", flowRunId.ToString())).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<StateChangeRecord>> StateChangesAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync("SELECT history FROM task_runs WHERE id = @id UNION ALL SELECT history FROM flow_runs WHERE id = @id",
            r => r.GetString(0), cancellationToken, ("id", runId.ToString())).ConfigureAwait(false);
        return rows.Count == 0 ? [] : StateHistory.Parse(runId, rows[0]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunLogLine>> LogsAsync(Guid flowRunId, long afterSequence = 0, CancellationToken cancellationToken = default) =>
        await QueryAsync("SELECT seq, flow_run_id, task_run_id, at, level, message FROM logs WHERE flow_run_id = @id AND seq > @after ORDER BY seq",
            r => new RunLogLine(r.GetInt64(0), Guid.Parse(r.GetString(1)), Text(r, 2) is { } t ? Guid.Parse(t) : null, Time(r.GetInt64(3)), r.GetString(4), r.GetString(5)),
            cancellationToken, ("id", flowRunId.ToString()), ("after", afterSequence)).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task RequestCancellationAsync(Guid flowRunId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, "UPDATE flow_runs SET cancel_requested = 1 WHERE id = @id", cancellationToken, ("id", flowRunId.ToString())).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> IsCancellationRequestedAsync(Guid flowRunId, CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync("SELECT cancel_requested FROM flow_runs WHERE id = @id", r => Convert.ToInt64(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture),
            cancellationToken, ("id", flowRunId.ToString())).ConfigureAwait(false);
        return rows.Count > 0 && rows[0] != 0;
    }

    /// <inheritdoc />
    public async Task<bool> TryClaimScheduledRunAsync(string deployment, DateTimeOffset instant, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var inserted = await ExecuteAsync(connection, null, "INSERT INTO schedule_claims (deployment, instant, claimed) VALUES (@d, @i, @c) ON CONFLICT DO NOTHING",
            cancellationToken, ("d", deployment), ("i", instant.UtcTicks), ("c", DateTimeOffset.UtcNow.UtcTicks)).ConfigureAwait(false);
        return inserted == 1;
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset?> LastClaimedAsync(string deployment, CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync("SELECT MAX(instant) FROM schedule_claims WHERE deployment = @d",
            r => r.IsDBNull(0) ? (DateTimeOffset?)null : Time(r.GetInt64(0)), cancellationToken, ("d", deployment)).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private const string FlowRunColumns = "id, name, flow_name, parent_id, parameters, state, error, cause, created, updated";

    private static FlowRunRecord ReadFlowRun(DbDataReader r) =>
        new(Guid.Parse(r.GetString(0)), r.GetString(1), r.GetString(2), Text(r, 3) is { } p ? Guid.Parse(p) : null, r.GetString(4),
            Enum.Parse<RunState>(r.GetString(5)), Text(r, 6), Text(r, 7), Time(r.GetInt64(8)), Time(r.GetInt64(9)));

    private static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    private async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) AddParameter(command, name, value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(read(reader));
        return rows;
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) AddParameter(command, name, value);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddParameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = value is long ? DbType.Int64 : DbType.String;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>Commands of one transaction, prepared once per statement text and reused for every event of the batch.</summary>
    private sealed class WriteBatch(DbConnection connection, DbTransaction transaction) : IDisposable
    {
        private readonly Dictionary<string, DbCommand> commands = new(StringComparer.Ordinal);

        public async Task Run(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
        {
            if (!commands.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                foreach (var (name, value) in parameters) AddParameter(command, name, value);
                commands[sql] = command;
            }
            else
            {
                foreach (var (name, value) in parameters)
                {
                    var parameter = command.Parameters[name];
                    parameter.DbType = value is long ? DbType.Int64 : DbType.String;
                    parameter.Value = value ?? DBNull.Value;
                }
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        public void Dispose()
        {
            foreach (var command in commands.Values) command.Dispose();
        }
    }
}
