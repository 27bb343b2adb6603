using System.CommandLine;

namespace Shoal.Cli.Commands;

/// <summary>
/// <c>shoal flows runs|show|logs|cancel|graph</c>: read flow-run records (SQLite by default, or
/// PostgreSQL) and ask a running flow run, in another process, to cancel. This class names no
/// Shoal.Flows type, so that building the command tree never loads Shoal.Flows and its database
/// drivers (a worker host copied without them still starts); <see cref="FlowsActions"/> does the work.
/// </summary>
internal sealed class FlowsCommand
{
    private readonly Option<string?> db = new("--db")
    {
        Description = "The run store: a SQLite file or a postgresql:// URI (default: $SHOAL_FLOWS_DB, then ~/.shoal/flows.db)",
        HelpName = "PATH|URI",
    };

    public FlowsCommand(CliContext context)
    {
        var limit = new Option<int>("--limit") { Description = "How many runs, newest first", DefaultValueFactory = _ => 20 };
        var runs = new Command("runs", "List flow runs, newest first") { db, limit };
        runs.SetAction((parse, ct) => context.RunHostAsync("shoal flows runs", () => FlowsActions.ListAsync(context, parse.GetValue(db), parse.GetValue(limit), ct), ct));
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the run ends" };
        var format = new Option<string>("--format") { Description = "mermaid or dot", DefaultValueFactory = _ => "mermaid" };
        format.AcceptOnlyFromAmong("mermaid", "dot");
        var assembly = new Option<string>("--assembly") { Description = "The assembly whose public IFlowDeployments classes add the deployments", HelpName = "DLL", Required = true };
        var scheduler = new Option<string?>("--scheduler") { Description = "Run on the scheduler at this address (default: an in-process local cluster per run)", HelpName = "ADDRESS" };
        var serve = new Command("serve", "Start deployments' runs on their schedules (a restart never starts a run twice)") { assembly, scheduler, db };
        serve.SetAction((parse, ct) => context.RunHostAsync("shoal flows serve",
            () => FlowsServe.RunAsync(context, parse.GetValue(db), parse.GetRequiredValue(assembly), parse.GetValue(scheduler), ct), ct));
        Command = new Command("flows", "Flow runs: list, show, logs, cancel, graph, serve")
        {
            runs,
            serve,
            RunCommand(context, "show", "Show a flow run and its task runs", (parse, run) => FlowsActions.ShowAsync(context, parse.GetValue(db), run, CancellationToken.None)),
            RunCommand(context, "logs", "Print a flow run's log", (parse, run) => FlowsActions.LogsAsync(context, parse.GetValue(db), run, parse.GetValue(follow), CancellationToken.None), follow),
            RunCommand(context, "cancel", "Cancel a running flow run (from any process that reaches its store)", (parse, run) => FlowsActions.CancelAsync(context, parse.GetValue(db), run, CancellationToken.None)),
            RunCommand(context, "graph", "Print a flow run's task graph with states (Mermaid or DOT)", (parse, run) => FlowsActions.GraphAsync(context, parse.GetValue(db), run, parse.GetValue(format)!, CancellationToken.None), format),
        };
    }

    public Command Command { get; }

    private Command RunCommand(CliContext context, string name, string description, Func<ParseResult, string, Task<int>> action, params Option[] options)
    {
        var run = new Argument<string>("RUN") { Description = "The flow run: its id, a unique start of it, or its name" };
        var command = new Command(name, description) { run, db };
        foreach (var option in options) command.Options.Add(option);
        command.SetAction((parse, ct) => context.RunHostAsync($"shoal flows {name}", () => action(parse, parse.GetRequiredValue(run)).WaitAsync(ct), ct));
        return command;
    }
}
