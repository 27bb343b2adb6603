using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Shoal.Tests.Dashboard;

/// <summary>
/// Debian's Prometheus, started by a test on loopback with its own config (scraping the given
/// targets every second) and storage in a temporary directory, stopped and removed on dispose.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _directory;
    private readonly Task<string> _log;

    private PrometheusServer(Process process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        _log = process.StandardError.ReadToEndAsync();
        Api = new Uri($"http://127.0.0.1:{port}/api/v1/query");
    }

    public Uri Api { get; }

    /// <summary>What Prometheus logged (complete once disposed).</summary>
    public Task<string> Log => _log;

    /// <param name="targets">host:port of each /metrics to scrape, one job each.</param>
    public static async Task<PrometheusServer> StartAsync(params string[] targets)
    {
        var directory = Directory.CreateTempSubdirectory("shoal-prometheus-");
        var port = FreePort();
        var config = Path.Combine(directory.FullName, "prometheus.yml");
        var yaml = new System.Text.StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n");
        for (int i = 0; i < targets.Length; i++)
            yaml.Append($"  - job_name: shoal-{i}\n    metrics_path: /metrics\n    static_configs:\n      - targets: [\"{targets[i]}\"]\n");
        await File.WriteAllTextAsync(config, yaml.ToString());
        var info = new ProcessStartInfo("prometheus") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
            info.ArgumentList.Add(arg);
        return new PrometheusServer(Process.Start(info)!, directory, port);
    }

    /// <summary>True when <paramref name="query"/> has one series, of value <paramref name="expected"/>.</summary>
    public async Task<bool> QueryAsync(HttpClient http, string query, double expected)
    {
        try
        {
            var json = await http.GetStringAsync(Api + "?query=" + Uri.EscapeDataString(query));
            var result = JsonDocument.Parse(json).RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 1 && double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) == expected;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        await _log;
        _process.Dispose();
        _directory.Delete(recursive: true);
    }
}
