using System.Globalization;
using Shoal.Flows;

namespace Shoal.Cli.Commands;

/// <summary>What <c>shoal flows ...</c> does, over the run store (see <see cref="FlowsCommand"/>).</summary>
internal static class FlowsActions
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(250);

    public static async Task<int> ListAsync(CliContext context, string? db, int limit, CancellationToken ct)
    {
        await using var store = await OpenForReadingAsync(context, db, "runs", ct).ConfigureAwait(false);
        if (store is null) return 2;
        var runs = await store.ListFlowRunsAsync(limit, ct).ConfigureAwait(false);
        await context.Stdout.WriteLineAsync($"{"ID",-8}  {"NAME",-40}  {"STATE",-9}  {"CREATED (UTC)",-19}  ERROR").ConfigureAwait(false);
        foreach (var r in runs)
            await context.Stdout.WriteLineAsync($"{r.Id.ToString()[..8],-8}  {r.Name,-40}  {r.State,-9}  {Time(r.Created),-19}  {r.Error}").ConfigureAwait(false);
        return 0;
    }

    public static Task<int> ShowAsync(CliContext context, string? db, string id, CancellationToken ct) => WithRunAsync(context, db, id, "show", async (store, run) =>
    {
        var output = context.Stdout;
        await output.WriteLineAsync($"flow run   {run.Name} ({run.Id})").ConfigureAwait(false);
        await output.WriteLineAsync($"flow       {run.FlowName}{(run.ParentId is { } parent ? $" (subflow of {parent})" : "")}").ConfigureAwait(false);
        await output.WriteLineAsync($"state      {run.State}{(run.Error is null ? "" : $": {run.Error}")}{(run.Cause is null ? "" : $" (cause: {run.Cause})")}").ConfigureAwait(false);
        await output.WriteLineAsync($"parameters {run.Parameters}").ConfigureAwait(false);
        await output.WriteLineAsync($"created    {Time(run.Created)}   updated {Time(run.Updated)}").ConfigureAwait(false);
        var tasks = await store.TaskRunsAsync(run.Id, ct).ConfigureAwait(false);
        await output.WriteLineAsync($"task runs  {tasks.Count}").ConfigureAwait(false);
        foreach (var t in tasks)
            await output.WriteLineAsync($"  {t.Id.ToString()[..8]}  {t.Name,-30}  {t.State,-9}  attempts {t.Attempts}{(t.Error is null ? "" : $"  {t.Error}")}{(t.Cause is null ? "" : $" (cause: {t.Cause})")}").ConfigureAwait(false);
        return 0;
    }, ct);

    public static Task<int> LogsAsync(CliContext context, string? db, string id, bool follow, CancellationToken ct) => WithRunAsync(context, db, id, "logs", async (store, run) =>
    {
        long after = 0;
        while (true)
        {
            // Read the state first: lines written before a final state are then all in the next read.
            var ended = !follow || (await store.FindFlowRunAsync(run.Id.ToString(), ct).ConfigureAwait(false))?.State.IsFinal() != false;
            foreach (var line in await store.LogsAsync(run.Id, after, ct).ConfigureAwait(false))
            {
                await context.Stdout.WriteLineAsync($"{Time(line.At)}  {line.Level,-7}  {line.Message}").ConfigureAwait(false);
                after = line.Sequence;
            }

            if (ended) return 0;
            await context.Stdout.FlushAsync(ct).ConfigureAwait(false);
            await Task.Delay(FollowInterval, ct).ConfigureAwait(false);
        }
    }, ct);

    public static Task<int> CancelAsync(CliContext context, string? db, string id, CancellationToken ct) => WithRunAsync(context, db, id, "cancel", async (store, run) =>
    {
        if (run.State.IsFinal())
        {
            await context.Stderr.WriteLineAsync($"shoal flows cancel: flow run {run.Name} already ended ({run.State})").ConfigureAwait(false);
            return 1;
        }

        await store.RequestCancellationAsync(run.Id, ct).ConfigureAwait(false);
        await context.Stdout.WriteLineAsync($"cancellation requested for flow run {run.Name} ({run.Id})").ConfigureAwait(false);
        return 0;
    }, ct);

    public static Task<int> GraphAsync(CliContext context, string? db, string id, string format, CancellationToken ct) => WithRunAsync(context, db, id, "graph", async (store, run) =>
    {
        var tasks = await store.TaskRunsAsync(run.Id, ct).ConfigureAwait(false);
        await context.Stdout.WriteAsync(format == "dot" ? FlowGraph.ToDot(run, tasks) : FlowGraph.ToMermaid(run, tasks)).ConfigureAwait(false);
        return 0;
    }, ct);

    /// <summary>
    /// The store a reading command looks at. The default store may not exist yet (no runs: an empty
    /// list); a store named by --db or SHOAL_FLOWS_DB must, or a mistyped path would show no runs and
    /// leave a new empty database behind. Null (after one line on stderr) when it does not.
    /// </summary>
    private static async Task<IFlowRunStore?> OpenForReadingAsync(CliContext context, string? db, string command, CancellationToken ct)
    {
        if (FlowStores.Resolve(db) == FlowStores.DefaultPath) return await FlowStores.OpenAsync(db, ct).ConfigureAwait(false);
        try
        {
            return await FlowStores.OpenExistingAsync(db, ct).ConfigureAwait(false);
        }
        catch (FileNotFoundException e)
        {
            await context.Stderr.WriteLineAsync($"shoal flows {command}: {e.Message}").ConfigureAwait(false);
            return null;
        }
    }

    private static async Task<int> WithRunAsync(CliContext context, string? db, string id, string command, Func<IFlowRunStore, FlowRunRecord, Task<int>> action, CancellationToken ct)
    {
        await using var store = await OpenForReadingAsync(context, db, command, ct).ConfigureAwait(false);
        if (store is null) return 2;
        var run = await store.FindFlowRunAsync(id, ct).ConfigureAwait(false);
        if (run is null)
        {
            await context.Stderr.WriteLineAsync($"shoal flows {command}: no flow run '{id}' in {FlowStores.Resolve(db)}").ConfigureAwait(false);
            return 1;
        }

        return await action(store, run).ConfigureAwait(false);
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
