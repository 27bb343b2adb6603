namespace Shoal.Hosting;

/// <summary>
/// The result journal (Execution.ResultJournal) of the workers one nanny starts: every worker it
/// starts gets the same one, so a replacement takes back the small results its dead predecessor
/// held. The directory is only this nanny's (mode 0700), in tmpfs when there is one: the journal is
/// memory that outlives the worker process, not a disk write.
/// </summary>
internal sealed class NannyJournal
{
    private NannyJournal(string directory)
    {
        Directory = directory;
        Path = System.IO.Path.Combine(directory, "results.journal");
    }

    /// <summary>The nanny's journal directory.</summary>
    public string Directory { get; }

    /// <summary>The journal file the workers write.</summary>
    public string Path { get; }

    /// <summary>Makes the directory; null and logged when it cannot be made.</summary>
    public static NannyJournal? Create(string nannyId, string workerName, Microsoft.Extensions.Logging.ILogger logger)
    {
        try
        {
            return new NannyJournal(NannyJournalDirectories.Create(NannyJournalDirectories.Parent, nannyId));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            NannyLog.NoJournal(logger, workerName, e.Message); // the worker runs without one: its results die with it
            return null;
        }
    }

    /// <summary>Removes the directories of nannies killed before they could remove their own (best effort, logged).</summary>
    public static void SweepStale(string workerName, Microsoft.Extensions.Logging.ILogger logger)
    {
        try
        {
            NannyJournalDirectories.SweepStale(NannyJournalDirectories.Parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            NannyLog.SweepFailed(logger, workerName, e.Message);
        }
    }

    /// <summary>Removes the directory (best effort: a worker may still be closing it).</summary>
    public void Remove()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a worker still closing it.
        }
    }
}
