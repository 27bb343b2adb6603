using System.Diagnostics;

namespace Shoal.Bench;

/// <summary>Debian's chromium, headless, with one page open (the dashboard's /status) until disposed.</summary>
internal sealed class WatchingBrowser : IDisposable
{
    private readonly Process _process;
    private readonly string _profile;

    private WatchingBrowser(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static WatchingBrowser Open(string url)
    {
        var profile = Directory.CreateTempSubdirectory("shoal-bench-chromium-").FullName;
        var info = new ProcessStartInfo("/usr/bin/chromium") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", $"--user-data-dir={profile}", "--remote-debugging-port=0", url })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("chromium did not start");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        Console.Error.WriteLine($"throughput: chromium (pid {process.Id}) watching {url}");
        return new WatchingBrowser(process, profile);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }
}
