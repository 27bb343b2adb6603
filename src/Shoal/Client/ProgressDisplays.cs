using System.Globalization;
using Spectre.Console;

namespace Shoal.ClientSide;

/// <summary>Live bars per task group on a terminal, drawn by Spectre.Console.</summary>
internal static class TerminalProgress
{
    public static Task RunAsync(ProgressTracker tracker, TextWriter output, TimeSpan refresh, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(output),
        });
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var bars = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                await ProgressLoop.RunAsync(tracker, refresh, report =>
                {
                    foreach (var group in report.Groups)
                    {
                        if (!bars.TryGetValue(group.Name, out var bar)) bars[group.Name] = bar = context.AddTask(Markup.Escape(group.Name), maxValue: Math.Max(1, group.Total));
                        bar.Value = group.Total == 0 ? 1 : group.Done;
                        if (group.Erred > 0) bar.Description = $"{Markup.Escape(group.Name)} [red]({group.Erred} erred)[/]";
                    }

                    context.Refresh();
                }, cancellationToken).ConfigureAwait(false);
            });
    }
}

/// <summary>Plain lines for logs (output that is not a terminal): at most one per interval, and one at the end.</summary>
internal static class PlainProgress
{
    /// <summary>Groups named on a line at most; the rest are summed in the totals.</summary>
    private const int GroupsPerLine = 8;

    public static async Task RunAsync(ProgressTracker tracker, TextWriter output, TimeSpan interval, CancellationToken cancellationToken)
    {
        TimeSpan? printed = null;
        var tick = interval < TimeSpan.FromMilliseconds(100) ? interval : TimeSpan.FromMilliseconds(100);
        await ProgressLoop.RunAsync(tracker, tick, report =>
        {
            if (!report.IsComplete && printed is { } last && report.Elapsed - last < interval) return;
            printed = report.Elapsed;
            output.WriteLine(Line(report));
            output.Flush();
        }, cancellationToken).ConfigureAwait(false);
    }

    public static string Line(ProgressReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var percent = report.Total == 0 ? 100 : 100.0 * report.Done / report.Total;
        var line = string.Create(c, $"progress: {report.Done:N0}/{report.Total:N0} ({percent:0} %) in {report.Elapsed.TotalSeconds:0.0} s");
        if (report.Erred > 0) line += string.Create(c, $", {report.Erred:N0} erred");
        var groups = report.Groups.Take(GroupsPerLine).Select(g => string.Create(c, $"{g.Name} {g.Done:N0}/{g.Total:N0}"));
        return line + "; " + string.Join(", ", groups) + (report.Groups.Count > GroupsPerLine ? $", … ({report.Groups.Count - GroupsPerLine} more groups)" : "");
    }
}
