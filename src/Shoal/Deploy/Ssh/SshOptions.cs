namespace Shoal.Deploy;

/// <summary>
/// How the system <c>ssh</c> client reaches the hosts of an <see cref="SshCluster"/> or an
/// <see cref="SshWorkerLauncher"/>. Everything unset is left to <c>ssh</c> and the user's
/// <c>~/.ssh/config</c> (keys, the agent, ports, users). Host keys are always checked against
/// known_hosts unless <see cref="AcceptNewHostKeys"/> says otherwise; ssh never prompts (batch mode).
/// </summary>
public sealed record SshOptions
{
    /// <summary>The user to log in as (<c>ssh -l</c>); null: ssh's default (the config, or the local user).</summary>
    public string? User { get; init; }

    /// <summary>The SSH port (<c>ssh -p</c>); null: ssh's default.</summary>
    public int? Port { get; init; }

    /// <summary>A private key file (<c>ssh -i</c>); null: ssh's default keys and the agent (<c>SSH_AUTH_SOCK</c>).</summary>
    public string? IdentityFile { get; init; }

    /// <summary>The ssh agent's socket (<c>IdentityAgent</c>); null: ssh's default (<c>SSH_AUTH_SOCK</c>).</summary>
    public string? AgentSocket { get; init; }

    /// <summary>The known_hosts file host keys are checked against; null: ssh's default (<c>~/.ssh/known_hosts</c>).</summary>
    public string? KnownHostsFile { get; init; }

    /// <summary>
    /// Trust the key of a host not in known_hosts yet and record it (<c>StrictHostKeyChecking=accept-new</c>).
    /// Default false: an unknown or changed host key is refused.
    /// </summary>
    public bool AcceptNewHostKeys { get; init; }

    /// <summary>A jump host (<c>ssh -J</c>, <c>[user@]host[:port]</c>) through which the hosts are reached; null: none.</summary>
    public string? JumpHost { get; init; }

    /// <summary>An ssh configuration file used instead of <c>~/.ssh/config</c> (<c>ssh -F</c>); it applies to the jump host too.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>The ssh client to run. Default <c>ssh</c> (from the PATH).</summary>
    public string SshCommand { get; init; } = "ssh";

    /// <summary>
    /// The command that runs shoal on the hosts, as their shell reads it (e.g.
    /// <c>/opt/shoal/shoal</c> or <c>dotnet /opt/shoal/Shoal.Cli.dll</c>). Default <c>shoal</c>.
    /// </summary>
    public string RemoteShoal { get; init; } = "shoal";

    /// <summary>How long ssh waits for a host to answer. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Seconds of silence after which ssh probes the connection, three failed probes ending it
    /// (<c>ServerAliveInterval</c>): a host that vanished is noticed and its processes counted gone. Default 5 s.
    /// </summary>
    public TimeSpan AliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>More <c>-o NAME=VALUE</c> settings for ssh.</summary>
    public IReadOnlyList<string> ExtraOptions { get; init; } = [];
}
