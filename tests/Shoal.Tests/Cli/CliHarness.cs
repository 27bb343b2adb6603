using Shoal.Cli;
using Shoal.Hosting;

namespace Shoal.Tests.Cli;

/// <summary>
/// Runs the CLI in process with hosts that record the options they were given instead of
/// starting anything.
/// </summary>
internal sealed class CliHarness
{
    public StringWriter Stdout { get; } = new();
    public StringWriter Stderr { get; } = new();
    public SchedulerHostOptions? Scheduler { get; private set; }
    public WorkerHostOptions? Worker { get; private set; }
    public LocalHostOptions? Local { get; private set; }
    public int HostCalls { get; private set; }

    /// <summary>What the recording hosts return, or do, once they have recorded.</summary>
    public Func<CancellationToken, Task<int>> HostBehaviour { get; set; } = _ => Task.FromResult(0);

    /// <summary>The environment the command's configuration reads; empty by default, so that the machine's SHOAL_ variables do not leak in.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; set; } = new Dictionary<string, string>();

    public string[] StderrLines => Stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public Task<int> RunAsync(string commandLine, CancellationToken cancellationToken = default) =>
        RunAsync(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), cancellationToken);

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var hosts = new HostEntryPoints(
            (o, _, ct) => { Scheduler = o; HostCalls++; return HostBehaviour(ct); },
            (o, _, ct) => { Worker = o; HostCalls++; return HostBehaviour(ct); },
            (o, _, ct) => { Local = o; HostCalls++; return HostBehaviour(ct); });
        return ShoalCommand.InvokeAsync(args, new CliContext(Stdout, Stderr, hosts) { Environment = Environment }, cancellationToken);
    }
}
