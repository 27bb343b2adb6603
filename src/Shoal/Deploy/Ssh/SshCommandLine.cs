using System.Globalization;
using System.Reflection;
using System.Text;

namespace Shoal.Deploy;

/// <summary>
/// The <c>ssh</c> command line that runs a <c>shoal</c> command on a host, and the POSIX shell
/// script it runs there: check the remote shoal's version, say so, then <c>exec</c> shoal with its
/// standard input still the SSH channel (credentials come first on it; its end, when the client
/// or the connection goes, makes shoal exit). Pure: strings in, strings out.
/// </summary>
internal static class SshCommandLine
{
    /// <summary>The line the script prints once the version matched, just before shoal starts.</summary>
    public const string StartedMarker = "shoal-ssh: starting";

    /// <summary>The script's exit code when the remote shoal cannot run at all.</summary>
    public const int NoShoalExitCode = 96;

    /// <summary>The script's exit code when the remote shoal is another version.</summary>
    public const int WrongVersionExitCode = 97;

    /// <summary>This shoal's version, without build metadata (what <c>shoal --version</c> prints up to a '+').</summary>
    public static string LocalVersion { get; } = WithoutMetadata(
        typeof(SshCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(SshCommandLine).Assembly.GetName().Version?.ToString() ?? "0");

    private static string WithoutMetadata(string version) => version.Split('+', 2)[0];

    /// <summary>The ssh client's arguments (after the executable) to run <paramref name="remoteCommand"/> on <paramref name="host"/>.</summary>
    public static IReadOnlyList<string> Arguments(SshOptions options, string host, string remoteCommand)
    {
        var args = new List<string>
        {
            "-T", // no terminal: the channel's input is the shoal process's standard input, byte for byte
            "-o", "BatchMode=yes", // never prompt (for a password or a host key): fail with a reason instead
            "-o", "StrictHostKeyChecking=" + (options.AcceptNewHostKeys ? "accept-new" : "yes"),
            "-o", "ConnectTimeout=" + Seconds(options.ConnectTimeout),
            "-o", "ServerAliveInterval=" + Seconds(options.AliveInterval),
            "-o", "ServerAliveCountMax=3",
            "-o", "ExitOnForwardFailure=yes",
        };
        if (options.ConfigFile is { } config) args.AddRange(["-F", config]);
        if (options.KnownHostsFile is { } known) args.AddRange(["-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=/dev/null"]);
        if (options.IdentityFile is { } identity) args.AddRange(["-i", identity]);
        if (options.AgentSocket is { } agent) args.AddRange(["-o", "IdentityAgent=" + agent]);
        if (options.User is { } user) args.AddRange(["-l", user]);
        if (options.Port is { } port) args.AddRange(["-p", port.ToString(CultureInfo.InvariantCulture)]);
        if (options.JumpHost is { } jump) args.AddRange(["-J", jump]);
        foreach (var extra in options.ExtraOptions) args.AddRange(["-o", extra]);
        args.AddRange(["--", host, remoteCommand]);
        return args;
    }

    /// <summary>
    /// The remote command: <c>sh -c SCRIPT</c> (whatever the user's login shell is), the script
    /// running <c>REMOTE-SHOAL ARGS...</c> after the version check, with the parent-pipe variables set.
    /// </summary>
    /// <param name="remoteShoal">How shoal is run there (shell words, used as given).</param>
    /// <param name="shoalArguments">shoal's arguments (each quoted).</param>
    /// <param name="credentialsOnStdin">True when the first line on standard input carries credentials.</param>
    public static string RemoteCommand(string remoteShoal, IEnumerable<string> shoalArguments, bool credentialsOnStdin)
    {
        var expected = LocalVersion;
        var script = new StringBuilder();
        script.Append("v=$(").Append(remoteShoal).Append(" --version 2>&1) || { echo \"shoal-ssh: cannot run '")
            .Append(remoteShoal.Replace("'", "", StringComparison.Ordinal)).Append("' on $(hostname): $v\" >&2; exit ")
            .Append(NoShoalExitCode.ToString(CultureInfo.InvariantCulture)).Append("; }\n");
        script.Append("v=${v%%+*}\n");
        script.Append("if [ \"$v\" != ").Append(Quote(expected)).Append(" ]; then echo \"shoal-ssh: $(hostname) has shoal $v, this client ")
            .Append(expected.Replace("\"", "", StringComparison.Ordinal)).Append("\" >&2; exit ")
            .Append(WrongVersionExitCode.ToString(CultureInfo.InvariantCulture)).Append("; fi\n");
        // The worker host exits when its standard input (the channel) ends: the client is gone or the connection dropped.
        script.Append("export ").Append(WorkerProcess.ParentWatchVariable).Append("=1\n");
        if (credentialsOnStdin) script.Append("export ").Append(Security.ParentPipeCredentials.Variable).Append("=1\n");
        script.Append("echo ").Append(Quote(StartedMarker)).Append('\n');
        script.Append("exec ").Append(remoteShoal);
        foreach (var arg in shoalArguments) script.Append(' ').Append(Quote(arg));
        script.Append('\n');
        return "exec sh -c " + Quote(script.ToString());
    }

    /// <summary>One word for a POSIX shell, whatever it holds.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The host part of <c>[user@]host</c> (what the remote scheduler listens on by default).</summary>
    public static string HostName(string host) => host[(host.LastIndexOf('@') + 1)..];

    private static string Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
