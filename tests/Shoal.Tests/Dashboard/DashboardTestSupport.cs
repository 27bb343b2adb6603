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
}
