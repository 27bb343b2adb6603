namespace Shoal.Deploy;

/// <summary>
/// Why an ssh session that should have run shoal ended, in words a user can act on, from its exit
/// code and its last lines (ssh's own messages, or the remote script's). Pure.
/// </summary>
internal static class SshFailure
{
    public static string Describe(string host, SshOptions options, int exitCode, IReadOnlyList<string> lines)
    {
        var said = string.Join(" | ", lines.Where(l => l.Length > 0).TakeLast(4));
        bool Saw(string text) => lines.Any(l => l.Contains(text, StringComparison.OrdinalIgnoreCase));

        if (exitCode == SshCommandLine.WrongVersionExitCode && lines.LastOrDefault(l => l.StartsWith("shoal-ssh:", StringComparison.Ordinal)) is { } version)
            return $"wrong shoal version on {host}: {version["shoal-ssh: ".Length..]} (install the same version on every host)";
        if (exitCode == SshCommandLine.NoShoalExitCode)
            return $"shoal cannot run on {host} as '{options.RemoteShoal}' (set SshOptions.RemoteShoal / --remote-shoal): {said}";
        if (exitCode != 255) return $"shoal on {host} exited with code {exitCode}: {said}";

        // 255: ssh itself failed; its message says why.
        var knownHosts = options.KnownHostsFile ?? "~/.ssh/known_hosts";
        if (Saw("REMOTE HOST IDENTIFICATION HAS CHANGED"))
            return $"the host key of {host} differs from the one in {knownHosts}: refusing to connect (a changed key may mean an attack; if the host was reinstalled, update the entry)";
        if (Saw("Host key verification failed") || Saw("No ED25519 host key is known") || Saw("host key is known"))
            return $"the host key of {host} is not in {knownHosts}: check its fingerprint and add it (ssh-keyscan), or set AcceptNewHostKeys to trust new hosts on first use";
        if (Saw("Permission denied"))
            return $"{host} refused the login ({(options.IdentityFile is { } key ? $"key {key}" : "ssh's default keys and agent")}): {said}";
        if (Saw("Could not resolve hostname"))
            return $"{host} is unknown: {said}";
        if (Saw("Connection refused") || Saw("No route to host") || Saw("timed out") || Saw("Network is unreachable") || Saw("Connection closed"))
            return $"{host} is unreachable over SSH: {said}";
        if (Saw("Load key") || Saw("invalid format") || Saw("No such file"))
            return $"ssh could not use its key or configuration for {host}: {said}";
        return $"ssh to {host} failed: {said}";
    }
}

/// <summary>An ssh session that should have run shoal on a host ended; <see cref="Exception.Message"/> says why.</summary>
public sealed class SshException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SshException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why, in words a user can act on.</param>
    public SshException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why.</param>
    /// <param name="innerException">What caused it.</param>
    public SshException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>True when ssh itself failed (exit code 255: unreachable, refused, unknown key), before anything ran there.</summary>
    internal bool SshFailed { get; init; }
}
