using System.CommandLine;
using Shoal.Hosting;
using Shoal.Kubernetes;
using Shoal.Kubernetes.Operator;

namespace Shoal.Cli.Commands;

/// <summary>
/// <c>shoal operator</c>: reconciles ShoalCluster, ShoalWorkerGroup, ShoalJob and ShoalAutoscaler
/// objects (see <see cref="ShoalOperator"/>; CRDs, RBAC and its Deployment in deploy/operator/).
/// Runs in a pod with its service account, or anywhere with a kubeconfig.
/// </summary>
internal sealed class OperatorCommand
{
    private readonly Option<string?> @namespace = new("--namespace") { Description = "Watch only this namespace (default: all namespaces)", HelpName = "NS" };
    private readonly Option<string?> kubeconfig = new("--kubeconfig") { Description = "A kubeconfig file (default: the pod's service account, else $KUBECONFIG, else ~/.kube/config)", HelpName = "FILE" };

    public OperatorCommand(CliContext context)
    {
        Command = new Command("operator", "Run the Kubernetes operator for ShoalCluster, ShoalWorkerGroup, ShoalJob and ShoalAutoscaler") { @namespace, kubeconfig };
        Command.SetAction((parse, ct) => context.RunHostAsync("shoal operator", () => RunAsync(parse, context, ct), ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CliContext context, CancellationToken cancellationToken)
    {
        var config = KubeConnection.Load(parse.GetValue(kubeconfig));
        using var loggers = HostLogging.Create(context.Stdout);
        using var kubernetes = new k8s.Kubernetes(config);
        var options = new ShoalOperatorOptions { Namespace = parse.GetValue(@namespace), LoggerFactory = loggers };
        await context.Stdout.WriteLineAsync($"Shoal operator watching {options.Namespace ?? "all namespaces"}").ConfigureAwait(false);
        await new ShoalOperator(kubernetes, options).RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
