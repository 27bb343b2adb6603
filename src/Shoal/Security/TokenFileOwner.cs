using Shoal.Util;

namespace Shoal.Security;

/// <summary>
/// A loopback token file's second line names the scheduler process that wrote it
/// (<c>owner PID STARTTIME</c>), so that a file left behind by a killed scheduler is recognised
/// as stale and ignored, instead of a client presenting its credentials to whatever listens on
/// the port now, or falling back to none.
/// </summary>
internal static class TokenFileOwner
{
    private const string Prefix = "owner ";

    /// <summary>The owner line for a file this process writes.</summary>
    public static string Line => Prefix + ProcessIdentity.Current;

    /// <summary>
    /// The token (first line) and whether the file's owner is gone. A file that names no owner counts as
    /// gone: every scheduler that writes one names itself, so such a file was left by an earlier version
    /// of Shoal and says nothing about whoever listens on its port now (trusting it made workers refuse a
    /// scheduler that expects no credentials, for ever, once a port was reused).
    /// </summary>
    public static (string Token, bool OwnerGone) Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new FormatException($"the token file {path} is empty");
        var owner = lines.Skip(1).FirstOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        return (lines[0], owner is null || ProcessIdentity.IsGone(owner[Prefix.Length..]));
    }

    /// <summary>
    /// Deletes the token files in <paramref name="directory"/> whose owner is gone, as Jupyter prunes its
    /// runtime directory: schedulers that were killed never delete theirs, and a later scheduler on the
    /// same port would otherwise meet them. Returns how many went; errors (a file another process deletes
    /// at the same moment) are skipped.
    /// </summary>
    public static int DeleteStale(string directory)
    {
        var deleted = 0;
        try
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*.token"))
            {
                try
                {
                    if (!Read(file).OwnerGone) continue;
                    File.Delete(file);
                    deleted++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return deleted;
    }
}
