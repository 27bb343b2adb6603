using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Shoal.Flows.Tests;

/// <summary>
/// A real PostgreSQL server (Debian's package) in a temporary directory on a free loopback port,
/// started with initdb and pg_ctl as the postgres user (both refuse root), stopped and removed at
/// the end.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string directory = "";

    public string ConnectionString { get; private set; } = "";

    public string Uri { get; private set; } = "";

    private static string Bin(string tool)
    {
        var root = "/usr/lib/postgresql";
        var version = Directory.Exists(root) ? Directory.GetDirectories(root).Select(Path.GetFileName).OrderByDescending(v => int.TryParse(v, out var n) ? n : 0).FirstOrDefault() : null;
        var path = version is null ? null : Path.Join(root, version, "bin", tool);
        return path is not null && File.Exists(path) ? path : throw new InvalidOperationException($"PostgreSQL's {tool} is not installed (apt-get install postgresql; .ci/run does it)");
    }

    public async Task InitializeAsync()
    {
        directory = Directory.CreateTempSubdirectory("shoal-flows-pg-").FullName;
        var data = Path.Join(directory, "data");
        await RunAsync("chown", "-R", "postgres:postgres", directory);
        var port = FreePort();
        await AsPostgres(Bin("initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync");
        await AsPostgres(Bin("pg_ctl"), "-D", data, "-l", Path.Join(directory, "server.log"), "-w", "-t", "60",
            "-o", $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true";
        Uri = $"postgresql://postgres@127.0.0.1:{port}/postgres";
    }

    public async Task DisposeAsync()
    {
        try
        {
            await AsPostgres(Bin("pg_ctl"), "-D", Path.Join(directory, "data"), "-m", "immediate", "-w", "stop");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task AsPostgres(params string[] command) => RunAsync("runuser", ["-u", "postgres", "--", .. command]);

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await error} {await output}");
    }
}
