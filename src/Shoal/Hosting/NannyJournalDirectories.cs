namespace Shoal.Hosting;

/// <summary>
/// The nannies' result-journal directories (<c>/dev/shm/shoal-nanny-&lt;id&gt;</c>) and their
/// clean-up when a nanny did not get to remove its own: a nanny killed with SIGKILL runs no
/// code, so its worker children remove the directory when they see its pipe close, and a nanny
/// that starts sweeps the directories of nannies that are gone. Each directory names its owner
/// in a file <c>owner</c>: the process id and its start time (field 22 of <c>/proc/PID/stat</c>),
/// so that a process id reused by an unrelated process does not keep a directory alive, and a
/// directory whose owner cannot be told (no owner file yet, or an older version's) is left alone.
/// </summary>
internal static class NannyJournalDirectories
{
    public const string Prefix = "shoal-nanny-";
    private const string OwnerFile = "owner";

    /// <summary>Where journal directories live: tmpfs when there is one (memory that outlives a worker, not a disk write).</summary>
    public static string Parent => Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    /// <summary>Creates this process's directory (mode 0700) with its owner file.</summary>
    public static string Create(string parent, string nannyId)
    {
        var directory = Path.Combine(parent, Prefix + nannyId);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var owner = Path.Combine(directory, OwnerFile);
        var temp = owner + ".tmp";
        File.WriteAllText(temp, Util.ProcessIdentity.Current);
        File.Move(temp, owner, overwrite: true); // whole or absent: a sweeper never reads half of it
        return directory;
    }

    /// <summary>Removes the directory of a journal whose nanny is gone (called by its worker when the nanny's pipe closes).</summary>
    public static void RemoveFor(string? journalPath)
    {
        var directory = journalPath is null ? null : Path.GetDirectoryName(journalPath);
        if (directory is null || !Path.GetFileName(directory).StartsWith(Prefix, StringComparison.Ordinal)) return;
        TryDelete(directory);
    }

    /// <summary>Removes the directories in <paramref name="parent"/> whose owner process is gone; returns how many.</summary>
    public static int SweepStale(string parent)
    {
        var removed = 0;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(parent, Prefix + "*").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        foreach (var directory in candidates)
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(directory, OwnerFile));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // no owner to tell (being created, an older version's, another user's): left alone
            }

            if (!Util.ProcessIdentity.IsGone(text)) continue; // alive (the same process), or cannot tell
            if (TryDelete(directory)) removed++;
        }

        return removed;
    }

    private static bool TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // another user's, or gone meanwhile
        }
    }
}
