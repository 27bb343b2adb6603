using System.Text;

namespace Shoal.Flows;

/// <summary>A flow run's task runs as a graph with their states, in Mermaid or Graphviz DOT.</summary>
public static class FlowGraph
{
    private static readonly Dictionary<RunState, string> Colours = new()
    {
        [RunState.Scheduled] = "#e0e0e0", [RunState.Pending] = "#e0e0e0", [RunState.Running] = "#9ecbff", [RunState.Retrying] = "#ffe08a",
        [RunState.Completed] = "#a7e3a1", [RunState.Cached] = "#c9f0c5", [RunState.Failed] = "#f4a3a3", [RunState.Crashed] = "#e07b7b",
        [RunState.TimedOut] = "#f7b977", [RunState.Cancelled] = "#c8c8c8",
    };

    /// <summary>A Mermaid flowchart: one node per task run, edges from upstream runs, coloured by state.</summary>
    /// <param name="run">The flow run.</param>
    /// <param name="tasks">Its task runs.</param>
    /// <returns>The Mermaid text.</returns>
    public static string ToMermaid(FlowRunRecord run, IReadOnlyList<TaskRunRecord> tasks)
    {
        var ids = NodeIds(tasks);
        var text = new StringBuilder().Append("---\ntitle: ").Append(run.Name).Append(' ').Append(run.State).Append("\n---\nflowchart LR\n");
        foreach (var t in tasks) text.Append("  ").Append(ids[t.Id]).Append("[\"").Append(Escape(t.Name)).Append("<br/>").Append(t.State).Append("\"]:::").Append(t.State).Append('\n');
        foreach (var t in tasks)
        {
            foreach (var up in t.Upstream)
            {
                if (ids.TryGetValue(up, out var from)) text.Append("  ").Append(from).Append(" --> ").Append(ids[t.Id]).Append('\n');
            }
        }

        foreach (var state in tasks.Select(t => t.State).Distinct())
            text.Append("  classDef ").Append(state).Append(" fill:").Append(Colours[state]).Append('\n');
        return text.ToString();
    }

    /// <summary>A Graphviz DOT digraph of the same.</summary>
    /// <param name="run">The flow run.</param>
    /// <param name="tasks">Its task runs.</param>
    /// <returns>The DOT text.</returns>
    public static string ToDot(FlowRunRecord run, IReadOnlyList<TaskRunRecord> tasks)
    {
        var ids = NodeIds(tasks);
        var text = new StringBuilder().Append("digraph \"").Append(Escape(run.Name)).Append("\" {\n  rankdir=LR;\n  label=\"")
            .Append(Escape(run.Name)).Append(' ').Append(run.State).Append("\";\n  node [shape=box, style=filled];\n");
        foreach (var t in tasks)
            text.Append("  ").Append(ids[t.Id]).Append(" [label=\"").Append(Escape(t.Name)).Append("\\n").Append(t.State).Append("\", fillcolor=\"").Append(Colours[t.State]).Append("\"];\n");
        foreach (var t in tasks)
        {
            foreach (var up in t.Upstream)
            {
                if (ids.TryGetValue(up, out var from)) text.Append("  ").Append(from).Append(" -> ").Append(ids[t.Id]).Append(";\n");
            }
        }

        return text.Append("}\n").ToString();
    }

    private static Dictionary<Guid, string> NodeIds(IReadOnlyList<TaskRunRecord> tasks) =>
        tasks.Select((t, i) => (t.Id, Node: $"t{i}")).ToDictionary(p => p.Id, p => p.Node);

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
