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

    /// <summary>The token (first line) and whether the file's owner is gone (false when the file names none: an older file).</summary>
    public static (string Token, bool OwnerGone) Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new FormatException($"the token file {path} is empty");
        var owner = lines.Skip(1).FirstOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        return (lines[0], owner is not null && ProcessIdentity.IsGone(owner[Prefix.Length..]));
    }
}
