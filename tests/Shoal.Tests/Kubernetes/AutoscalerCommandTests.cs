using k8s;
using k8s.Models;
using Shoal.Cli;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Kubernetes.Fake;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Kubernetes;

/// <summary><c>shoal autoscaler</c> as a user runs it: a kubeconfig, a token file, the flags; and each kind of bad input.</summary>
public sealed class AutoscalerCommandTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan TaskWork = TimeSpan.FromMilliseconds(300);

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string[] args, CancellationToken cancellationToken = default, StringWriter? stdout = null)
    {
        stdout ??= new StringWriter();
        var stderr = new StringWriter();
        var exit = await ShoalCommand.InvokeAsync(args, stdout, stderr, cancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Bad_input_gets_one_clear_line_and_touches_nothing()
    {
        var (exit, _, stderr) = await RunAsync(["autoscaler", "tcp://127.0.0.1:1"]);
        exit.ShouldBe(ShoalCommand.UsageError);
        stderr.ShouldContain("--deployment");

        (exit, _, stderr) = await RunAsync(["autoscaler", "tcp://127.0.0.1:1", "--deployment", "w", "--minimum", "3", "--maximum", "1", "--kubeconfig", "/nonexistent"]);
        exit.ShouldBe(1);
        stderr.Trim().ShouldBe("shoal autoscaler: --maximum (1) is below --minimum (3)");

        (exit, _, stderr) = await RunAsync(["autoscaler", "tcp://127.0.0.1:1", "--deployment", "w", "--kubeconfig", "/nonexistent/config"]);
        exit.ShouldBe(1);
        stderr.Trim().ShouldBe("shoal autoscaler: no Kubernetes configuration: not in a pod, and no kubeconfig file at /nonexistent/config (set --kubeconfig or KUBECONFIG)");

        (exit, _, stderr) = await RunAsync(["autoscaler", "tcp://127.0.0.1:1", "--deployment", "w", "--interval", "soon"]);
        exit.ShouldBe(ShoalCommand.UsageError);
        stderr.ShouldContain("--interval");
    }

    [Fact]
    public async Task It_reads_a_kubeconfig_and_a_token_file_and_scales_the_deployment_up_to_its_maximum_under_load()
    {
        var security = SecurityOptions.TemporaryToken();
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = security });
        await using var kubelet = new WorkerKubelet(scheduler.Address, security.ForRole(Role.Worker));
        await using var api = await FakeKubeApi.StartAsync(kubelet);
        using var admin = new k8s.Kubernetes(api.Configuration());
        await admin.AppsV1.CreateNamespacedDeploymentAsync(FakeKubeApiTests.Deployment("shoal-worker", 1), "default");
        var kubeconfig = api.WriteKubeconfig();
        var tokenFile = Path.Combine(Path.GetTempPath(), $"autoscaler-token-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(tokenFile, security.TokenFor(Role.Client) + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var stop = new CancellationTokenSource();
        var log = new StringWriter();
        try
        {
            var running = RunAsync(["autoscaler", scheduler.Address, "--deployment", "shoal-worker", "--kubeconfig", kubeconfig, "--token-file", tokenFile,
                "--minimum", "1", "--maximum", "3", "--interval", "100ms"], stop.Token, log);
            await using var client = await Client.ConnectAsync(scheduler.Address, new ClientOptions { Security = security });
            // Over TCP the tasks' code loads in a code set's own load context (statics of its own: no gate can reach them), so the load is time:
            // 30 tasks of 300 ms of their own work want 3 workers (30 × 0.5 s estimated / 5 s) until they are done.
            var futures = client.Map(static (int x) => { Task.Delay(TaskWork).Wait(); return x; }, Enumerable.Range(0, 30)).ToList();
            await Eventually.HoldsAsync(async () => (await admin.AppsV1.ReadNamespacedDeploymentScaleAsync("shoal-worker", "default")).Spec.Replicas == 3,
                Patience, "the autoscaler scaled the deployment to its maximum");
            (await client.GatherAsync(futures).WaitAsync(Patience)).ShouldBe(Enumerable.Range(0, 30));

            await stop.CancelAsync();
            var (exit, stdout, stderr) = await running.WaitAsync(Patience).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : throw new TimeoutException("the command did not stop; its log: " + log), TaskScheduler.Default);
            exit.ShouldBe(0, stderr);
            stdout.ShouldContain("Autoscaling deployment default/shoal-worker between 1 and 3 workers");
            stdout.ShouldContain("Scaled shoal-worker from 1 to 3 workers");
        }
        finally
        {
            File.Delete(kubeconfig);
            File.Delete(tokenFile);
        }
    }
}
