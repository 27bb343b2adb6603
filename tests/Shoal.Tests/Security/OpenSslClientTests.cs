using System.Diagnostics;
using Shoal.Comm;
using Shoal.Protocol.Messages;
using static Shoal.Tests.Security.SecurityTestKit;

namespace Shoal.Tests.Security;

/// <summary>
/// A real external TLS client (Debian's <c>openssl s_client</c>) against a TLS listener: TLS 1.0 and
/// 1.1 refused; 1.2 and 1.3 accepted only with a client certificate from the cluster CA.
/// </summary>
public sealed class OpenSslClientTests : IDisposable
{
    private readonly string _dir = Path.Join(Path.GetTempPath(), "shoal-openssl-" + Guid.NewGuid().ToString("N"));

    public OpenSslClientTests()
    {
        Directory.CreateDirectory(_dir);
        Write(Cluster, "good");
        Write(OtherCluster, "other");
        File.WriteAllText(Path.Join(_dir, "ca.pem"), Cluster.CaCertificate!.ExportCertificatePem());

        void Write(SecurityOptions security, string name)
        {
            var bundle = Shoal.Security.CredentialBundle.Write(security, Role.Client).Split("-----BEGIN ");
            // bundle: "", CA, certificate, key
            File.WriteAllText(Path.Join(_dir, name + ".pem"), "-----BEGIN " + bundle[2]);
            File.WriteAllText(Path.Join(_dir, name + "-key.pem"), "-----BEGIN " + bundle[3]);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> OldVersions => new() { "-tls1", "-tls1_1" };

    public static TheoryData<string> NewVersions => new() { "-tls1_2", "-tls1_3" };

    [Theory]
    [MemberData(nameof(OldVersions))]
    public async Task Old_tls_versions_are_refused(string version)
    {
        var failures = new Failures();
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster, failed: failures.Report));
        var (output, _) = await SClientAsync(listener, version, "good", "-cipher", "DEFAULT@SECLEVEL=0");
        output.ShouldContain("New, (NONE), Cipher is (NONE)", Case.Sensitive, output);
        output.ShouldNotContain("New, TLSv1");
        (await failures.NextAsync()).Error.Message.ShouldContain("TLS");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Theory]
    [MemberData(nameof(NewVersions))]
    public async Task New_tls_versions_are_accepted_with_a_cluster_certificate(string version)
    {
        var failures = new Failures();
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster, failed: failures.Report));
        var (output, _) = await SClientAsync(listener, version, "good");
        output.ShouldContain($"New, {(version == "-tls1_2" ? "TLSv1.2" : "TLSv1.3")}, Cipher is", Case.Sensitive, output);
        output.ShouldContain("Verify return code: 0 (ok)");
        // TLS passed: the listener then waited for a Shoal hello, which s_client never sends.
        var error = (await failures.NextAsync()).Error;
        error.Message.ShouldContain("closed the connection during the handshake");
    }

    [Theory]
    [MemberData(nameof(NewVersions))]
    public async Task New_tls_versions_without_a_client_certificate_are_refused(string version)
    {
        var failures = new Failures();
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster, failed: failures.Report));
        await SClientAsync(listener, version, null);
        (await failures.NextAsync()).Error.Message.ShouldContain("the peer sent no certificate");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    [Theory]
    [MemberData(nameof(NewVersions))]
    public async Task New_tls_versions_with_another_CAs_certificate_are_refused(string version)
    {
        var failures = new Failures();
        await using var listener = await Transports.ListenAsync("tls://127.0.0.1:0", Server(Cluster, failed: failures.Report));
        await SClientAsync(listener, version, "other");
        (await failures.NextAsync()).Error.Message.ShouldContain("not signed by the cluster CA");
        await AssertServesGoodClientAsync(listener, Cluster);
    }

    private async Task<(string Output, int ExitCode)> SClientAsync(IListener listener, string version, string? certificate, params string[] extra)
    {
        var port = new Uri(listener.Address.Replace("tls://", "http://")).Port;
        var info = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "s_client", "-connect", $"127.0.0.1:{port}", version, "-CAfile", Path.Join(_dir, "ca.pem"), "-servername", "localhost" })
            info.ArgumentList.Add(arg);
        if (certificate is not null)
        {
            info.ArgumentList.Add("-cert");
            info.ArgumentList.Add(Path.Join(_dir, certificate + ".pem"));
            info.ArgumentList.Add("-key");
            info.ArgumentList.Add(Path.Join(_dir, certificate + "-key.pem"));
        }
        foreach (var arg in extra) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        process.StandardInput.Close(); // s_client sends nothing and quits at end of input
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        return (await stdout + await stderr, process.ExitCode);
    }
}
