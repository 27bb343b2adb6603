using System.Diagnostics;
using System.Text;

namespace Shoal.Tests.Deploy;

/// <summary>Runs podman (and the repository's deploy scripts) from tests: commands that end, with their output.</summary>
internal static class Podman
{
    /// <summary>The repository's root (tests run from tests/Shoal.Tests/bin/CONFIG/TFM).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The base image the tests build on: made from Debian's packages by deploy/container/make-debian-base (cached).</summary>
    public const string TestBase = "localhost/shoal-debian-base:bookworm";

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> to its end; throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, bool check = true)
    {
        var (code, output) = await TryRunAsync(file, args, timeout);
        if (check && code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {code}:{Environment.NewLine}{output}");
        return output;
    }

    public static async Task<(int Code, string Output)> TryRunAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} took more than {timeout.TotalSeconds} s:{Environment.NewLine}{output}");
        }

        process.WaitForExit(); // the output's last lines
        lock (output) return (process.ExitCode, output.ToString());
    }

    /// <summary>podman set up for this machine (deploy/container/setup-podman) and the Debian base image made (once).</summary>
    public static async Task EnsureBaseAsync()
    {
        await RunAsync(Path.Combine(RepositoryRoot, "deploy/container/setup-podman"), [], TimeSpan.FromMinutes(1));
        await RunAsync(Path.Combine(RepositoryRoot, "deploy/container/make-debian-base"), ["--tag", TestBase], TimeSpan.FromMinutes(15));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Shoal.slnx"))) return dir.FullName;
        }

        throw new InvalidOperationException($"no Shoal.slnx above {AppContext.BaseDirectory}");
    }
}
