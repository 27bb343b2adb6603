using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Shoal.Tests.Dashboard;

/// <summary>What the dashboard tests share: an HTTP client and reading the JSON API.</summary>
internal static class DashboardTestSupport
{
    public static HttpClient Http(string link) => new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        BaseAddress = new Uri(new Uri(link).GetLeftPart(UriPartial.Authority)),
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static async Task<JsonElement> GetJsonAsync(this HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, $"GET {path}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Runs a program with <paramref name="input"/> on its stdin; its exit code and everything it printed.</summary>
    public static async Task<(int Code, string Output)> RunToolAsync(string file, string[] arguments, string input)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(EndToEnd.E2E.Timeout);
        return (process.ExitCode, await stdout + await stderr);
    }
}
