using System.Diagnostics;
using Shoal.Deploy;

namespace Shoal.Tests.Deploy.Ssh;

/// <summary>The ssh command line and the remote script, without a host: what they say, and that a real sh reads them back exactly.</summary>
public sealed class SshCommandLineTests
{
    [Fact]
    public void Host_keys_are_checked_and_ssh_never_prompts_unless_told_otherwise()
    {
        var args = SshCommandLine.Arguments(new SshOptions(), "db1", "true");
        args.ShouldContain("StrictHostKeyChecking=yes");
        args.ShouldContain("BatchMode=yes");
        args.ShouldNotContain("-J");
        args.TakeLast(3).ShouldBe(["--", "db1", "true"]);
        SshCommandLine.Arguments(new SshOptions { AcceptNewHostKeys = true }, "db1", "true").ShouldContain("StrictHostKeyChecking=accept-new");
        var full = SshCommandLine.Arguments(new SshOptions { User = "ann", Port = 2222, IdentityFile = "/k", KnownHostsFile = "/kh", JumpHost = "gw", ConfigFile = "/c" }, "db1", "true");
        string.Join(' ', full).ShouldContain("-F /c -o UserKnownHostsFile=/kh -o GlobalKnownHostsFile=/dev/null -i /k -l ann -p 2222 -J gw");
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("it's a 'quote'")]
    [InlineData("$HOME `id` $(id) \\ \" ; & | * ?")]
    [InlineData("line\nbreak")]
    public void Sh_reads_a_quoted_word_back_exactly(string word)
    {
        var info = new ProcessStartInfo("sh", ["-c", "printf %s " + SshCommandLine.Quote(word)]) { RedirectStandardOutput = true };
        using var sh = Process.Start(info)!;
        var output = sh.StandardOutput.ReadToEnd();
        sh.WaitForExit();
        output.ShouldBe(word);
    }

    [Fact]
    public void The_remote_script_checks_the_version_then_runs_shoal_with_its_arguments_intact()
    {
        var dir = Directory.CreateTempSubdirectory("shoal-ssh-script-").FullName;
        try
        {
            // A stand-in shoal: prints this client's version (with build metadata) or its arguments, one a line.
            var fake = Path.Join(dir, "shoal");
            File.WriteAllText(fake, $"#!/bin/sh\nif [ \"$1\" = --version ]; then echo '{SshCommandLine.LocalVersion}+build'; exit 0; fi\nprintf '%s\\n' \"$@\" \"$SHOAL_EXIT_WITH_PARENT\"\n");
            NetworkNamespaces.NetnsCluster.Run("chmod", "700", fake);
            var remote = SshCommandLine.RemoteCommand(SshCommandLine.Quote(fake), ["worker", "tls://h:1", "--name", "it's $x"], credentialsOnStdin: false);
            NetworkNamespaces.NetnsCluster.Run("sh", "-c", remote).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .ShouldBe([SshCommandLine.StartedMarker, "worker", "tls://h:1", "--name", "it's $x", "1"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Failures_are_told_apart_by_what_ssh_said()
    {
        var options = new SshOptions { KnownHostsFile = "/kh" };
        SshFailure.Describe("h", options, 255, ["Host key verification failed."]).ShouldStartWith("the host key of h is not in /kh");
        SshFailure.Describe("h", options, 255, ["@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@", "Host key verification failed."]).ShouldStartWith("the host key of h differs");
        SshFailure.Describe("h", options, 255, ["root@h: Permission denied (publickey)."]).ShouldStartWith("h refused the login (ssh's default keys and agent)");
        SshFailure.Describe("h", options, 255, ["ssh: connect to host h port 22: Connection refused"]).ShouldStartWith("h is unreachable over SSH");
        SshFailure.Describe("h", options, SshCommandLine.WrongVersionExitCode, ["shoal-ssh: h has shoal 0.0.1, this client 0.1.0"])
            .ShouldBe("wrong shoal version on h: h has shoal 0.0.1, this client 0.1.0 (install the same version on every host)");
        SshFailure.Describe("h", options, 1, ["boom"]).ShouldBe("shoal on h exited with code 1: boom");
    }
}
