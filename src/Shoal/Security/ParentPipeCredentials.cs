using System.Diagnostics;
using System.Text;
using Shoal.Protocol.Messages;

namespace Shoal.Security;

/// <summary>
/// Hands credentials from a parent process (a <see cref="LocalCluster"/>, a nanny) to a worker
/// process it starts, through the child's standard input: a pipe only the two of them hold, which
/// the child already reads to exit with its parent. Never the environment (readable in
/// <c>/proc/PID/environ</c>, inherited by every task's child process) nor the command line. The
/// environment only says that a credential line comes first on the pipe.
/// </summary>
internal static class ParentPipeCredentials
{
    /// <summary>Set to "1" in the child's environment: the first line on standard input carries credentials.</summary>
    public const string Variable = "SHOAL_CREDENTIALS_ON_STDIN";

    private const string Prefix = "credentials ";

    /// <summary>The bundle a worker child of <paramref name="security"/> needs (its role's credentials only); null when there is none.</summary>
    public static string? BundleFor(SecurityOptions? security) =>
        security is null || security.FoundOnDisk ? null : CredentialBundle.Write(security, Role.Worker) is { Length: > 0 } bundle ? bundle : null;

    /// <summary>Parent, before starting the child: announces the credential line when there is a bundle to send.</summary>
    public static void Announce(ProcessStartInfo info, string? bundle)
    {
        if (bundle is not null) info.Environment[Variable] = "1";
        else info.Environment.Remove(Variable);
    }

    /// <summary>Parent, right after starting the child: writes the bundle as the first line of its standard input.</summary>
    public static void Send(StreamWriter stdin, string? bundle)
    {
        if (bundle is null) return;
        stdin.Write(Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(bundle)) + "\n");
        stdin.Flush();
    }

    /// <summary>
    /// Child, before it dials anyone: when its parent announced credentials, reads that line from
    /// <paramref name="stdin"/> and returns them, for the caller to pass on explicitly (nothing
    /// process-wide keeps them). Reads nothing and returns null otherwise, so the parent's later
    /// lines stay for whoever reads them next.
    /// </summary>
    public static SecurityOptions? Receive(TextReader stdin)
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1") return null;
        Environment.SetEnvironmentVariable(Variable, null);
        var line = stdin.ReadLine();
        if (line is null || !line.StartsWith(Prefix, StringComparison.Ordinal))
            throw new InvalidDataException("the parent process announced credentials on standard input but sent none");
        string bundle;
        try
        {
            bundle = Encoding.UTF8.GetString(Convert.FromBase64String(line[Prefix.Length..]));
        }
        catch (FormatException)
        {
            throw new InvalidDataException("the credentials from the parent process are not valid base64");
        }
        return CredentialBundle.Read(bundle);
    }
}
