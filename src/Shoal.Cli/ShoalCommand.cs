using System.CommandLine;
using System.CommandLine.Help;
using Shoal.Cli.Commands;
using Shoal.Cli.Parsing;

namespace Shoal.Cli;

/// <summary>
/// The <c>shoal</c> command line: <c>scheduler</c>, <c>worker</c> and <c>local</c>. Callable in
/// process, so that tests and embedding programs run it without a child process.
/// </summary>
public static class ShoalCommand
{
    /// <summary>Exit code for a bad command line (unknown flag, bad value, bad address).</summary>
    public const int UsageError = 2;

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command they name. A bad command line
    /// writes one line on <paramref name="stderr"/> and returns <see cref="UsageError"/>;
    /// <c>--help</c> writes to <paramref name="stdout"/> and returns 0; otherwise returns the
    /// host's exit code. Cancelling <paramref name="cancellationToken"/> stops the host gracefully.
    /// </summary>
    /// <param name="args">The arguments after the program name.</param>
    /// <param name="stdout">Where help, addresses and logs go.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl-C / SIGTERM.</param>
    /// <returns>The process exit code.</returns>
    public static Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken) =>
        InvokeAsync(args, new CliContext(stdout, stderr, HostEntryPoints.Default), cancellationToken);

    /// <summary>Same, with the hosts replaceable (the test seam).</summary>
    internal static async Task<int> InvokeAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        var root = Build(context);
        Platform.StartupTrace.Mark("cli-built");
        // No response files: "@name" is a plain value (a worker name, say), not a file to read.
        var parser = new ParserConfiguration { ResponseFileTokenReplacer = null };
        var parse = root.Parse(args, parser);
        // Values from the configuration file and SHOAL_ variables where the flags give none, then parsed as typed ones.
        var configured = CommandConfiguration.Apply(args, parse, ConfigOptionOf(root), context.Environment, out var configError);
        if (configError is not null)
        {
            await context.Stderr.WriteLineAsync($"{CommandPath(parse)}: {configError}").ConfigureAwait(false);
            return UsageError;
        }

        if (configured.Length != args.Length) parse = root.Parse(configured, parser);
        Platform.StartupTrace.Mark("cli-parsed");
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            // One line whatever went wrong: scripts and people read the first line of stderr.
            var message = string.Join("; ", parse.Errors.Select(e => CliContext.OneLine(e.Message).TrimEnd('.')).Distinct());
            var command = CommandPath(parse);
            await context.Stderr.WriteLineAsync($"{command}: {message} (see '{command} --help')").ConfigureAwait(false);
            return UsageError;
        }

        var invocation = new InvocationConfiguration
        {
            Output = context.Stdout,
            Error = context.Stderr,
            // Program.cs owns the signals, so that a second Ctrl-C still kills the process.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the command tree; one per invocation since actions capture the context.</summary>
    internal static Command Build(CliContext context)
    {
        // A plain Command rather than RootCommand: RootCommand names itself after the running
        // executable, which is "testhost" or "Shoal.Cli" rather than "shoal".
        var root = new Command("shoal", "Shoal: a scheduler and a bunch of workers for .NET")
        {
            new HelpOption(),
            new VersionOption(),
            CommandConfiguration.ConfigOption(),
            new SchedulerCommand(context).Command,
            new WorkerCommand(context).Command,
            new LocalCommand(context).Command,
            new SshCommand(context).Command,
            new CertsCommand(context).Command,
            new HealthCommand(context).Command,
            new AutoscalerCommand(context).Command,
            new OperatorCommand(context).Command,
            new DashboardLinkCommand(context).Command,
            new FlowsCommand(context).Command,
        };
        return root;
    }

    private static Option<string?> ConfigOptionOf(Command root) => root.Options.OfType<Option<string?>>().Single(o => o.Name == "--config");

    /// <summary>"shoal worker" for errors in the worker command, "shoal" for errors before one.</summary>
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = (System.CommandLine.Parsing.SymbolResult?)parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is System.CommandLine.Parsing.CommandResult command)
            {
                names.Add(command.Command.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
