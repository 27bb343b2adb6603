using System.CommandLine;

namespace Shoal.Cli.Commands;

/// <summary>
/// The credential flags <c>scheduler</c> and <c>worker</c> share. Secrets are only ever named by a
/// file path (a token on the command line would show in <c>ps</c> and <c>/proc/PID/cmdline</c>).
/// </summary>
internal sealed class SecurityFlags
{
    public Option<string?> CaFile { get; } = new("--tls-ca-file") { Description = "The cluster CA certificate (PEM), e.g. from `shoal certs create`", HelpName = "FILE" };

    public Option<string?> Certificate { get; } = new("--tls-cert") { Description = "This process's certificate (PEM), signed by the cluster CA", HelpName = "FILE" };

    public Option<string?> Key { get; } = new("--tls-key") { Description = "The private key of --tls-cert (PEM)", HelpName = "FILE" };

    public Option<string?> TokenFile { get; } = new("--token-file") { Description = "A file holding the cluster token (never pass a token itself on the command line)", HelpName = "FILE" };

    public IEnumerable<Option> All => [CaFile, Certificate, Key, TokenFile];

    /// <summary>The credentials the flags name, or null when none is given. Throws with what is missing.</summary>
    public SecurityOptions? ToSecurity(ParseResult parse)
    {
        var ca = parse.GetValue(CaFile);
        var certificate = parse.GetValue(Certificate);
        var key = parse.GetValue(Key);
        var token = parse.GetValue(TokenFile);
        var tlsFlags = new[] { ca, certificate, key }.Count(v => v is not null);
        if (tlsFlags is 1 or 2)
            throw new ArgumentException("TLS needs all three of --tls-ca-file, --tls-cert and --tls-key");
        SecurityOptions? security = tlsFlags == 3 ? SecurityOptions.FromPemFiles(ca!, certificate!, key!) : null;
        if (token is not null)
        {
            var tokenOnly = SecurityOptions.FromTokenFile(token);
            security = security is null ? tokenOnly : security.WithToken(tokenOnly.TokenFor(tokenOnly.TokenRole!.Value)!);
        }
        return security;
    }
}
