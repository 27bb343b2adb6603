using System.Diagnostics;
using Shoal.Cloud.Gcp;
using Shoal.Deploy;
using Shoal.Scheduling;
using Shoal.Tests.Resilience;

namespace Shoal.Cloud.Tests;

/// <summary>The scripts a cloud worker runs, run here by a real /bin/sh: with stand-ins that record what they were given, and with the real <c>shoal</c>.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // POSIX shell scripts, as the cloud machines run them
public sealed class WorkerScriptTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("shoal-script-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IReadOnlyDictionary<string, string> Pairs(string address, SecurityOptions security) =>
        WorkerEnvironment.For(new WorkerLaunch("cloud-worker-7", address, 2, 3L << 30, security.ForRole(Protocol.Messages.Role.Worker)), address, TimeSpan.FromSeconds(60));

    /// <summary>An executable stand-in on the PATH.</summary>
    private string Stub(string name, string body)
    {
        var bin = Path.Join(_directory, "bin");
        Directory.CreateDirectory(bin);
        var path = Path.Join(bin, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    private static async Task<(int Exit, string Error)> RunAsync(string script, IReadOnlyDictionary<string, string> environment, string bin, params string[] arguments)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, error);
    }

    [Fact]
    public async Task The_worker_script_passes_credentials_as_private_files_never_on_the_command_line()
    {
        // TLS and a token: both kinds of secret.
        var security = SecurityOptions.Temporary().WithToken(SecurityOptions.TemporaryToken().TokenFor(Protocol.Messages.Role.Worker)!);
        var pairs = Pairs("tls://10.0.0.5:8786", security);
        var record = Path.Join(_directory, "record");
        // The stand-in shoal: its arguments one per line, then each credential file's mode and content.
        var bin = Stub("shoal", $$"""
            printf '%s\n' "$@" > {{record}}.args
            while [ $# -gt 0 ]; do case "$1" in --tls-ca-file|--tls-cert|--tls-key|--token-file) stat -c %a "$2" >> {{record}}.modes; cat "$2" >> {{record}}.files;; esac; shift; done
            env > {{record}}.env
            """);

        var (exit, error) = await RunAsync(WorkerScript.Text, pairs, bin);

        exit.ShouldBe(0, error);
        var args = File.ReadAllLines(record + ".args");
        args[..10].ShouldBe(["worker", "tls://10.0.0.5:8786", "--name", "cloud-worker-7", "--nthreads", "2", "--memory-limit", (3L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture), "--death-timeout", "60s"]);
        args.ShouldContain("--tls-ca-file");
        args.ShouldContain("--token-file");
        string.Join('\n', args).ShouldNotContain("BEGIN");
        string.Join('\n', args).ShouldNotContain(pairs[WorkerEnvironment.Token]);
        File.ReadAllLines(record + ".modes").ShouldAllBe(mode => mode == "600");
        var files = File.ReadAllText(record + ".files");
        files.ShouldContain(pairs[WorkerEnvironment.TlsKey].Trim());
        files.ShouldContain(pairs[WorkerEnvironment.Token]);
        var env = File.ReadAllText(record + ".env");
        env.ShouldNotContain("SHOAL_TLS_KEY"); // dropped from the worker's environment once written
        env.ShouldNotContain("SHOAL_TOKEN");
    }

    [Fact]
    public async Task The_worker_script_starts_a_real_shoal_worker_that_registers_with_a_tls_scheduler()
    {
        var security = SecurityOptions.Temporary();
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = security });
        var cli = Path.Join(AppContext.BaseDirectory, "Shoal.Cli.dll");
        var bin = Stub("shoal", $"exec dotnet {cli} \"$@\"\n");
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(WorkerScript.Text);
        foreach (var (key, value) in Pairs(scheduler.Address, security)) start.Environment[key] = value;
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        try
        {
            await Eventually.HoldsAsync(() => scheduler.WorkerCount == 1 || process.HasExited, TimeSpan.FromSeconds(60), "the worker registered");
            process.HasExited.ShouldBeFalse(await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : ""));
            (await scheduler.GetAdaptiveTargetAsync(5, default)).Workers.ShouldBe(["cloud-worker-7"]);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task The_vm_script_reads_the_workers_pairs_from_the_metadata_server_into_docker_run()
    {
        var pairs = Pairs("tls://10.132.0.2:8786", SecurityOptions.Temporary());
        var attributes = Directory.CreateDirectory(Path.Join(_directory, "attributes")).FullName;
        foreach (var (key, value) in pairs.Where(p => p.Key != WorkerEnvironment.Token)) File.WriteAllText(Path.Join(attributes, key), value);
        var record = Path.Join(_directory, "docker.args");
        // curl answers from the attributes folder (22: not found, as curl -f says for a 404); docker records its arguments.
        Stub("curl", $"for a; do u=$a; done; k=${{u##*/}}; [ -f {attributes}/$k ] || exit 22; cat {attributes}/$k\n");
        var bin = Stub("docker", $"printf '%s\\0' \"$@\" > {record}\n");

        var (exit, error) = await RunAsync(GcpCloudInit.RunWorker("registry.example/shoal:1.0"), new Dictionary<string, string>(), bin);

        exit.ShouldBe(0, error);
        var args = File.ReadAllText(record).TrimEnd('\0').Split('\0');
        args[..6].ShouldBe(["run", "--rm", "--name", "shoal-worker", "--network", "host"]);
        args[^4..].ShouldBe(["--entrypoint", "/bin/sh", "registry.example/shoal:1.0", "/etc/shoal/worker.sh"]);
        foreach (var (key, value) in pairs.Where(p => p.Key != WorkerEnvironment.Token)) args.ShouldContain($"{key}={value.TrimEnd('\n')}");
        args.ShouldNotContain(a => a.StartsWith(WorkerEnvironment.Token + "=", StringComparison.Ordinal)); // absent from the metadata: not passed
    }
}
