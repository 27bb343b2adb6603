using Microsoft.Data.Sqlite;

namespace SqliteProbe;

/// <summary>
/// A task body that needs Microsoft.Data.Sqlite and its native SQLite library: neither is
/// referenced by Shoal, so a worker has them only if the client ships them.
/// </summary>
public static class Probe
{
    /// <summary>"&lt;Microsoft.Data.Sqlite version&gt; &lt;SQLite version&gt; &lt;x * 2 computed by SQLite&gt;".</summary>
    public static string Run(int x)
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select sqlite_version(), $x * 2";
        command.Parameters.AddWithValue("$x", x);
        using var reader = command.ExecuteReader();
        reader.Read();
        var package = typeof(SqliteConnection).Assembly.GetName().Version;
        return $"{package} {reader.GetString(0)} {reader.GetInt64(1)}";
    }
}
