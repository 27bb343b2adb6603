using System.CommandLine;
using Shoal.Cli.Parsing;
using Shoal.Dashboard;

namespace Shoal.Cli.Commands;

/// <summary>
/// <c>shoal dashboard-link [ADDRESS]</c>: prints a link to the scheduler's dashboard: the plain
/// one on loopback, else a one-time sign-in link (usable once, within <c>--lifetime</c>) for
/// <c>--role</c>, minted from the cluster's token (found as a client finds it, or <c>--token-file</c>).
/// </summary>
internal sealed class DashboardLinkCommand
{
    private const string DefaultAddress = "tcp://127.0.0.1:8786";

    private readonly Argument<string> address = CliOptions.SchedulerAddress("ADDRESS", "The scheduler (default: tcp://127.0.0.1:8786)");
    private readonly Option<string> role = new Option<string>("--role")
    {
        Description = "What the link's session may do: viewer (read) or admin (also retire workers, set the adaptive target)",
        HelpName = "ROLE",
        DefaultValueFactory = _ => "admin",
    }.AcceptOnlyFromAmong("viewer", "admin");
    private readonly Option<TimeSpan?> lifetime = CliOptions.Duration("--lifetime", "How long the link may wait to be used, e.g. 10m (default: 10m)");
    private readonly SecurityFlags security = new();

    public DashboardLinkCommand(CliContext context)
    {
        address.Arity = ArgumentArity.ZeroOrOne;
        Command = new Command("dashboard-link", "Print a link to the scheduler's dashboard (a one-time sign-in link off loopback)") { address, role, lifetime };
        foreach (var option in security.All) Command.Options.Add(option);
        Command.SetAction((parse, ct) => context.RunHostAsync("shoal dashboard-link", () => PrintAsync(parse, context, ct), ct));
    }

    public Command Command { get; }

    private async Task<int> PrintAsync(ParseResult parse, CliContext context, CancellationToken cancellationToken)
    {
        var target = parse.GetValue(address) is { Length: > 0 } given ? given : DefaultAddress;
        var credentials = security.ToSecurity(parse) ?? context.Credentials.Find(target);
        await using var client = await Client.ConnectAsync(target, new ClientOptions { Name = "dashboard-link", Security = credentials, Credentials = context.Credentials }, cancellationToken).ConfigureAwait(false);
        var link = await client.DashboardSignInLinkAsync(credentials, parse.GetValue(role) == "viewer" ? DashboardRole.Viewer : DashboardRole.Admin,
            parse.GetValue(lifetime) ?? TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
        await context.Stdout.WriteLineAsync(link).ConfigureAwait(false);
        return 0;
    }
}
