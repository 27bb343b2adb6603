using System.Globalization;
using System.Text;

namespace Shoal.Flows;

/// <summary>
/// A batch of run events folded into rows: a run created and changed within the batch is
/// inserted once with its latest state; runs created earlier get one update each. Every state
/// change is kept, as a line of its run's history column (<see cref="StateHistory"/>), so a task
/// run costs one row, not one per state.
/// </summary>
internal sealed class CoalescedBatch
{
    public List<(FlowRunRecord Run, StringBuilder History)> FlowRuns { get; } = [];

    public List<(TaskRunRecord Run, StringBuilder History)> TaskRuns { get; } = [];

    public List<(RunEvent.FlowRunState Latest, StringBuilder History)> FlowRunUpdates { get; } = [];

    public List<(RunEvent.TaskRunState Latest, StringBuilder History)> TaskRunUpdates { get; } = [];

    public List<RunEvent.Log> Logs { get; } = [];

    public static CoalescedBatch Of(IReadOnlyList<RunEvent> events)
    {
        var batch = new CoalescedBatch();
        var flows = new Dictionary<Guid, int>();
        var tasks = new Dictionary<Guid, int>();
        var flowUpdates = new Dictionary<Guid, int>();
        var taskUpdates = new Dictionary<Guid, int>();
        foreach (var e in events)
        {
            switch (e)
            {
                case RunEvent.FlowRunCreated { Run: var r }:
                    flows[r.Id] = batch.FlowRuns.Count;
                    batch.FlowRuns.Add((r, StateHistory.Append(new StringBuilder(), r.State, r.Created, null)));
                    break;
                case RunEvent.TaskRunCreated { Run: var r }:
                    tasks[r.Id] = batch.TaskRuns.Count;
                    batch.TaskRuns.Add((r, StateHistory.Append(new StringBuilder(64), r.State, r.Created, null)));
                    break;
                case RunEvent.FlowRunState s when flows.TryGetValue(s.Id, out var f):
                    var (flow, flowHistory) = batch.FlowRuns[f];
                    batch.FlowRuns[f] = (flow with { State = s.State, Error = s.Error, Cause = s.Cause, Updated = s.When }, StateHistory.Append(flowHistory, s.State, s.When, s.Error));
                    break;
                case RunEvent.FlowRunState s:
                    Latest(batch.FlowRunUpdates, flowUpdates, s.Id, s, s.State, s.When, s.Error);
                    break;
                case RunEvent.TaskRunState s when tasks.TryGetValue(s.Id, out var t):
                    var (task, taskHistory) = batch.TaskRuns[t];
                    batch.TaskRuns[t] = (task with { State = s.State, Error = s.Error, Cause = s.Cause, Attempts = s.Attempts, Updated = s.When }, StateHistory.Append(taskHistory, s.State, s.When, s.Error));
                    break;
                case RunEvent.TaskRunState s:
                    Latest(batch.TaskRunUpdates, taskUpdates, s.Id, s, s.State, s.When, s.Error);
                    break;
                case RunEvent.Log l:
                    batch.Logs.Add(l);
                    break;
            }
        }

        return batch;
    }

    private static void Latest<T>(List<(T, StringBuilder)> list, Dictionary<Guid, int> index, Guid id, T value, RunState state, DateTimeOffset at, string? message)
    {
        if (index.TryGetValue(id, out var i))
        {
            list[i] = (value, StateHistory.Append(list[i].Item2, state, at, message));
        }
        else
        {
            index[id] = list.Count;
            list.Add((value, StateHistory.Append(new StringBuilder(), state, at, message)));
        }
    }
}

/// <summary>A run's state changes as text: one line each, <c>ticks state message</c>, the message's backslashes and line breaks escaped.</summary>
internal static class StateHistory
{
    public static StringBuilder Append(StringBuilder history, RunState state, DateTimeOffset at, string? message)
    {
        history.Append(at.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(state);
        if (message is not null) history.Append(' ').Append(message.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal));
        return history.Append('\n');
    }

    public static IReadOnlyList<StateChangeRecord> Parse(Guid runId, string history)
    {
        var changes = new List<StateChangeRecord>();
        foreach (var line in history.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 3);
            var message = parts.Length == 3 ? Unescape(parts[2]) : null;
            changes.Add(new(runId, Enum.Parse<RunState>(parts[1]), new DateTimeOffset(long.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.Zero), message));
        }

        return changes;
    }

    private static string Unescape(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                result.Append(text[++i] switch { 'n' => '\n', 'r' => '\r', var c => c });
            }
            else
            {
                result.Append(text[i]);
            }
        }

        return result.ToString();
    }
}
