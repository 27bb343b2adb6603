using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Shoal.Bench;

/// <summary>
/// From <c>podman run IMAGE local</c> to a worker registered with the scheduler in the container:
/// the time until the container prints its "Workers:" line (LocalCluster prints it once every
/// worker registered), and until a client on the host, connected with the cluster's token, sees
/// the worker. Host networking, as a single VM runs it. Build the image first with
/// deploy/container/build-image.
/// Usage: container-start [--image localhost/shoal:latest] [--workers 1] [--reps 5]
/// </summary>
public sealed class ContainerStartBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "container-start";

    /// <inheritdoc />
    public string Description => "podman run of the shoal image to a worker registered (container's own line, and a client on the host)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new BenchArgs(args);
        var image = a.Value("image") ?? "localhost/shoal:latest";
        var workers = a.Int("workers", 1);
        var reps = a.Int("reps", 5);
        var toLine = new List<double>();
        var toClient = new List<double>();
        for (var rep = 0; rep < reps; rep++)
        {
            var (line, client) = await OnceAsync(image, workers, cancellationToken);
            Console.Error.WriteLine($"rep {rep + 1}: worker registered {line:0.000} s (container's line), seen by a host client {client:0.000} s");
            toLine.Add(line);
            toClient.Add(client);
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = Name, image, workers, reps,
            registered_median_s = BenchStats.Median(toLine), registered_all_s = toLine,
            client_sees_worker_median_s = BenchStats.Median(toClient), client_sees_worker_all_s = toClient,
        }));
        return 0;
    }

    private static async Task<(double Line, double Client)> OnceAsync(string image, int workers, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var name = "shoal-bench-" + Guid.NewGuid().ToString("N")[..8];
        var home = Directory.CreateTempSubdirectory("shoal-bench-home-");
        await RunAsync("chown", ["1654:1654", home.FullName]);
        var info = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     "run", "--rm", "--name", name, "--network", "host", "-v", $"{home.FullName}:/home/app/.shoal:Z", image,
                     "local", "--workers", workers.ToString(CultureInfo.InvariantCulture), "--port", port.ToString(CultureInfo.InvariantCulture),
                 })
            info.ArgumentList.Add(arg);
        var registered = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        var schedulerUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        using var podman = Process.Start(info)!;
        podman.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("Workers: ", StringComparison.Ordinal) == true) registered.TrySetResult(clock.Elapsed.TotalSeconds);
            // Printed once the token file is written.
            if (e.Data?.StartsWith("Scheduler at: ", StringComparison.Ordinal) == true) schedulerUp.TrySetResult();
        };
        podman.ErrorDataReceived += (_, _) => { };
        podman.BeginOutputReadLine();
        podman.BeginErrorReadLine();
        try
        {
            // The host client reads the token file the container wrote, then waits for the worker.
            await schedulerUp.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            var tokenFile = Path.Combine(home.FullName, "clusters", $"127.0.0.1-{port}.token");

            await using var client = await Client.ConnectAsync($"tcp://127.0.0.1:{port}",
                new ClientOptions { Security = SecurityOptions.FromTokenFile(tokenFile), WaitForScheduler = TimeSpan.FromSeconds(30) }, cancellationToken);
            await client.WaitForWorkersAsync(workers, cancellationToken);
            var seen = clock.Elapsed.TotalSeconds;
            return (await registered.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken), seen);
        }
        finally
        {
            await RunAsync("podman", ["kill", "--signal", "TERM", name]);
            await podman.WaitForExitAsync(CancellationToken.None);
            await RunAsync("rm", ["-rf", home.FullName]);
        }
    }

    private static async Task RunAsync(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
