using System.Globalization;

namespace Shoal.Platform;

/// <summary>
/// A process's resident memory, as the operating system counts it (what a memory limit is
/// about): the worker reads its own, a nanny its worker's. One reader of <c>/proc/PID/statm</c>
/// (size, resident, shared, ... in pages), cheaper than <c>Process.WorkingSet64</c>'s parse of
/// the whole <c>/proc/PID/status</c>.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>This process's resident set size in bytes.</summary>
    public static long ResidentBytes() => ReadStatm("/proc/self/statm") ?? Environment.WorkingSet;

    /// <summary>
    /// The resident set size of process <paramref name="pid"/> in bytes, or null when /proc cannot
    /// tell (it exited meanwhile, it is not ours to read, or this is not Linux).
    /// </summary>
    public static long? ResidentBytes(int pid) => ReadStatm("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/statm");

    private static long? ReadStatm(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var statm = File.ReadAllText(path);
            var parts = statm.Split(' ');
            if (parts.Length > 1 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages)) return pages * Environment.SystemPageSize;
        }
        catch (IOException)
        {
            // Exited meanwhile.
        }
        catch (UnauthorizedAccessException)
        {
            // Another user's process.
        }

        return null;
    }
}
