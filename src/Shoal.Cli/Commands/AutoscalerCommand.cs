using System.CommandLine;
using Microsoft.Extensions.Logging;
using Shoal.Cli.Parsing;
using Shoal.Hosting;
using Shoal.Kubernetes;
using Shoal.Kubernetes.Autoscaling;

namespace Shoal.Cli.Commands;

/// <summary>
/// <c>shoal autoscaler ADDRESS --deployment NAME</c>: scales a worker Deployment by the scheduler's
/// adaptive target, retiring workers before their pods go (see <see cref="KubeAutoscaler"/>). Runs in
/// a pod with its service account, or anywhere with a kubeconfig.
/// </summary>
internal sealed class AutoscalerCommand
{
    private readonly Argument<string> address = CliOptions.SchedulerAddress("ADDRESS", "The scheduler whose adaptive target sizes the workers: tcp://host:port or tls://host:port");
    private readonly Option<string> deployment = new("--deployment") { Description = "The workers' Deployment", HelpName = "NAME", Required = true };
    private readonly Option<string?> @namespace = new("--namespace") { Description = "Its namespace (default: the pod's own, else the kubeconfig context's, else \"default\")", HelpName = "NS" };
    private readonly Option<string?> kubeconfig = new("--kubeconfig") { Description = "A kubeconfig file (default: the pod's service account, else $KUBECONFIG, else ~/.kube/config)", HelpName = "FILE" };
    private readonly Option<int> minimum = CliOptions.Count("--minimum", "Never fewer workers", 0, () => 0);
    private readonly Option<int?> maximum = CliOptions.OptionalCount("--maximum", "Never more workers (default: no bound)", 0);
    private readonly Option<TimeSpan?> interval = CliOptions.Duration("--interval", "How often the target is read (default: 5s)");
    private readonly Option<int> waitCount = CliOptions.Count("--wait-count", "Readings in a row the target must stay lower before workers are retired", 1, () => 3);
    private readonly SecurityFlags security = new();

    public AutoscalerCommand(CliContext context)
    {
        Command = new Command("autoscaler", "Scale a worker Deployment by the scheduler's adaptive target, retiring workers before removing their pods")
        {
            address, deployment, @namespace, kubeconfig, minimum, maximum, interval, waitCount,
        };
        foreach (var option in security.All) Command.Options.Add(option);
        Command.SetAction((parse, ct) => context.RunHostAsync("shoal autoscaler", () => RunAsync(parse, context, ct), ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CliContext context, CancellationToken cancellationToken)
    {
        var min = parse.GetValue(minimum);
        var max = parse.GetValue(maximum) ?? int.MaxValue;
        if (max < min) throw new ArgumentException($"--maximum ({max}) is below --minimum ({min})");
        var config = KubeConnection.Load(parse.GetValue(kubeconfig));
        var options = new KubeAutoscalerOptions
        {
            Deployment = parse.GetRequiredValue(deployment),
            Namespace = parse.GetValue(@namespace) ?? config.Namespace ?? "default",
            Minimum = min,
            Maximum = max,
            Interval = parse.GetValue(interval) ?? TimeSpan.FromSeconds(5),
            WaitCount = parse.GetValue(waitCount),
        };
        using var loggers = HostLogging.Create(context.Stdout);
        using var kubernetes = new k8s.Kubernetes(config);
        await using var client = await Client.ConnectAsync(parse.GetRequiredValue(address),
            new ClientOptions { Name = "shoal-autoscaler", Security = security.ToSecurity(parse), WaitForScheduler = TimeSpan.FromMinutes(10) }, cancellationToken).ConfigureAwait(false);
        await context.Stdout.WriteLineAsync($"Autoscaling deployment {options.Namespace}/{options.Deployment} between {min} and {(max == int.MaxValue ? "any number of" : max)} workers").ConfigureAwait(false);
        await new KubeAutoscaler(kubernetes, client, options, loggers.CreateLogger<KubeAutoscaler>()).RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
