using System.Text;

namespace Shoal;

/// <summary>The report's HTML: the embedded page (Dashboard/Assets) with the recording's JSON inside it, written atomically. In the API's namespace, which may read the dashboard's assets.</summary>
internal static class PerformanceReportFile
{
    private const string Template = "performance-report.html";
    private const string Placeholder = "/*SHOAL_REPORT_DATA*/";

    public static async Task WriteAsync(string path, byte[] json)
    {
        var page = Encoding.UTF8.GetString(Dashboard.DashboardAssets.Get(Template)
            ?? throw new InvalidOperationException($"the report's page ({Template}) is missing from the Shoal assembly"));
        // Inside a <script> element the JSON must not close it: "</" is written "<\/" (JSON reads both alike).
        var data = Encoding.UTF8.GetString(json).Replace("</", "<\\/", StringComparison.Ordinal);
        var html = page.Replace(Placeholder, data, StringComparison.Ordinal);
        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        await File.WriteAllTextAsync(temporary, html).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }
}
