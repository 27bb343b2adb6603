namespace Shoal.Util;

/// <summary>
/// A process told apart from any later process that reuses its id: "PID STARTTIME", the start
/// time being field 22 of <c>/proc/PID/stat</c> (clock ticks since boot). Used to tell whether the
/// owner of a file left behind (a token file, a journal directory) is still alive.
/// </summary>
internal static class ProcessIdentity
{
    /// <summary>This process's identity.</summary>
    public static string Current => Of(Environment.ProcessId);

    /// <summary>"PID STARTTIME" of a live process; "" when it is gone (or a zombie). Without /proc (not Linux) every pid counts as alive.</summary>
    public static string Of(int pid)
    {
        if (!OperatingSystem.IsLinux()) return $"{pid} unknown";
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, start time field 22.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // A zombie (Z) or dead (X) process has ended: it only waits to be reaped, which an orphan under an init
            // that reaps nothing (a container's or a sandbox's PID 1) may wait for forever.
            if (fields.Length <= 19 || fields[0] is "Z" or "X") return "";
            return $"{pid} {fields[19]}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Whether <paramref name="identity"/> ("PID STARTTIME") names a process that is gone (not one whose id was reused).</summary>
    public static bool IsGone(string identity)
    {
        var space = identity.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !int.TryParse(identity.AsSpan(0, space), System.Globalization.CultureInfo.InvariantCulture, out var pid)) return false; // cannot tell
        return Of(pid) != identity;
    }
}
