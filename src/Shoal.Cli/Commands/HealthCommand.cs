using System.CommandLine;
using Shoal.Cli.Parsing;

namespace Shoal.Cli.Commands;

/// <summary>
/// <c>shoal health [ADDRESS]</c>: exits 0 when the scheduler answers as a client would reach it
/// (handshake, credentials and all) and has at least <c>--min-workers</c> workers; 1 otherwise, with
/// one line saying why. What a container's HEALTHCHECK or a probe runs.
/// </summary>
internal sealed class HealthCommand
{
    private readonly Argument<string> address = CliOptions.SchedulerAddress("ADDRESS", "The scheduler to check (default: $SHOAL_HEALTH_ADDRESS, else tcp://127.0.0.1:8786)");
    private readonly Option<int> minWorkers = CliOptions.Count("--min-workers", "Workers the scheduler must have for the cluster to count as healthy", 0, () => 0);
    private readonly Option<TimeSpan?> timeout = CliOptions.Duration("--timeout", "How long the check may take (default: 5s)");
    private readonly SecurityFlags security = new();

    private const string DefaultAddress = "tcp://127.0.0.1:8786";

    public HealthCommand(CliContext context)
    {
        address.Arity = ArgumentArity.ZeroOrOne;
        Command = new Command("health", "Check that a scheduler answers (and has workers); exit 0 when healthy, 1 when not") { address, minWorkers, timeout };
        foreach (var option in security.All) Command.Options.Add(option);
        Command.SetAction((parse, ct) => context.RunHostAsync("shoal health", () => CheckAsync(parse, context, ct), ct));
    }

    public Command Command { get; }

    private async Task<int> CheckAsync(ParseResult parse, CliContext context, CancellationToken cancellationToken)
    {
        var target = parse.GetValue(address) is { Length: > 0 } given ? given
            : Environment.GetEnvironmentVariable("SHOAL_HEALTH_ADDRESS") is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultAddress;
        var limit = parse.GetValue(timeout) ?? TimeSpan.FromSeconds(5);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            await using var client = await Client.ConnectAsync(target,
                new ClientOptions { Name = "health-check", ConnectTimeout = limit, Security = security.ToSecurity(parse) }, deadline.Token).ConfigureAwait(false);
            var info = await client.GetClusterInfoAsync(deadline.Token).ConfigureAwait(false);
            var wanted = parse.GetValue(minWorkers);
            if (info.Workers.Count < wanted)
            {
                await context.Stderr.WriteLineAsync($"shoal health: {target} answers but has {info.Workers.Count} workers (at least {wanted} wanted)").ConfigureAwait(false);
                return 1;
            }

            await context.Stdout.WriteLineAsync($"healthy: {target}, {info.Workers.Count} workers").ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await context.Stderr.WriteLineAsync($"shoal health: {target} did not answer within {limit.TotalSeconds:0.###} s").ConfigureAwait(false);
            return 1;
        }
    }
}
