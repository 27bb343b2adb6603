using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Shoal.Tests;

/// <summary>
/// The suite needs root (network namespaces, the token and journal directories of real processes)
/// and a few tools that <c>.ci/run</c> installs. Without them, it stops before the first test with
/// one message saying what is missing, instead of failing test by test with as many stack traces.
/// <c>SHOAL_TESTS_ANYWAY=1</c> runs it regardless (the tests that need what is missing fail).
/// The check is the test runner's only: workers load this assembly too, to run the tests' lambdas (a worker in a
/// container runs as a non-root user without iproute2), and must not be stopped by it.
/// </summary>
internal static class TestPrerequisites
{
    /// <summary>Commands the tests run (each from a Debian package that .ci/run installs).</summary>
    private static readonly (string Command, string Package)[] Tools = [("ip", "iproute2"), ("openssl", "openssl"), ("true", "coreutils")];

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

#pragma warning disable CA2255 // a test assembly's own start-up check, not a library's
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Check()
    {
        if (Environment.GetEnvironmentVariable("SHOAL_TESTS_ANYWAY") == "1" || !OperatingSystem.IsLinux() || !InTestRunner()) return;
        var missing = new List<string>();
        if (GetEffectiveUserId() != 0) missing.Add("root (the tests make network namespaces)");
        foreach (var (command, package) in Tools)
            if (!OnPath(command)) missing.Add($"the command '{command}' (Debian package {package})");
        if (missing.Count == 0) return;
        Console.Error.WriteLine(
            $"Shoal's tests cannot run here: they need {string.Join(", ", missing)}. Run `bash .ci/run` as root " +
            "(it installs the packages and runs the tests), or set SHOAL_TESTS_ANYWAY=1 to run them anyway.");
        Environment.Exit(2);
    }

    /// <summary>
    /// True in the process that runs the tests (VSTest's testhost, an xunit console runner, or this assembly as the
    /// program); false where the assembly is only the code of tasks, as in a <c>shoal worker</c> (Shoal.Cli) process.
    /// </summary>
    private static bool InTestRunner()
    {
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name;
        return entry is not null && (entry.StartsWith("testhost", StringComparison.OrdinalIgnoreCase)
            || entry.StartsWith("xunit.console", StringComparison.OrdinalIgnoreCase)
            || entry == typeof(TestPrerequisites).Assembly.GetName().Name);
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, command)));
}
