using System.Security.Cryptography;

namespace Shoal.Hosting;

/// <summary>
/// The random id that binds a nanny to the worker it runs: the nanny writes it on the worker's
/// standard input (after the credentials, on the same private pipe: never the environment or the
/// command line), the worker registers with it, and the nanny's WorkerDied reports carry it. The
/// scheduler takes a report only for the worker that registered with the same id
/// (<see cref="Scheduling.NannyReports"/>): every worker shares the cluster's worker credential, so
/// the credential alone cannot tell one worker's nanny from another's.
/// </summary>
internal static class NannyIdentity
{
    private const string Prefix = "nanny-id ";
    private const string JournalPrefix = "journal ";

    /// <summary>A new id (128 random bits, hex).</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));



    /// <summary>
    /// Nanny, right after the credentials: writes the id as the next line of the worker's standard
    /// input, then the path of the worker's result journal (empty: none).
    /// </summary>
    public static void Send(StreamWriter stdin, string id, string? journalPath = null)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        if (journalPath is not null && journalPath.Contains('\n', StringComparison.Ordinal)) throw new ArgumentException("a journal path with a line break", nameof(journalPath));
        stdin.Write(Prefix + id + "\n" + JournalPrefix + journalPath + "\n");
        stdin.Flush();
    }

    /// <summary>
    /// Worker, after the credentials and before it dials anyone: when a nanny runs it
    /// (<see cref="Nanny.NannyVariable"/>), reads the id and journal lines from <paramref name="stdin"/>
    /// and returns them (both null when no nanny runs this process).
    /// </summary>
    public static (string? Id, string? JournalPath) Receive(TextReader stdin)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        if (Environment.GetEnvironmentVariable(Nanny.NannyVariable) != "1") return (null, null);
        var line = stdin.ReadLine();
        if (line is null || !line.StartsWith(Prefix, StringComparison.Ordinal) || line.Length == Prefix.Length)
            throw new InvalidDataException("this worker runs under a nanny (SHOAL_NANNY=1), but its nanny sent no nanny id on standard input");
        var id = line[Prefix.Length..];
        var journal = stdin.ReadLine();
        if (journal is null || !journal.StartsWith(JournalPrefix, StringComparison.Ordinal))
            throw new InvalidDataException("this worker runs under a nanny (SHOAL_NANNY=1), but its nanny sent no journal line on standard input");
        return (id, journal.Length > JournalPrefix.Length ? journal[JournalPrefix.Length..] : null);
    }
}
