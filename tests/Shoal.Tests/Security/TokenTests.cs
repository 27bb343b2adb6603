using Shoal.Protocol.Messages;
using Shoal.Security;

namespace Shoal.Tests.Security;

/// <summary>The shared-secret token: derived role keys, text form, proofs bound to one handshake.</summary>
public class TokenTests
{
    [Fact]
    public void Role_tokens_cannot_prove_other_roles()
    {
        var secret = ClusterToken.CreateClusterSecret();
        var worker = ClusterToken.Parse(secret.For(Role.Worker).Encode());
        worker.Role.ShouldBe(Role.Worker);
        worker.KeyFor(Role.Worker).ShouldBe(secret.KeyFor(Role.Worker));
        worker.KeyFor(Role.Peer).ShouldBe(secret.KeyFor(Role.Peer));
        worker.KeyFor(Role.Client).ShouldBeNull();
        worker.KeyFor(Role.Scheduler).ShouldBeNull();
        worker.MayClaim(Role.Client).ShouldBeTrue(); // a worker's tasks submit tasks; the key it proves is still the worker's
        ClusterToken.Parse(secret.For(Role.Client).Encode()).MayClaim(Role.Worker).ShouldBeFalse();
        worker.MayClaim(Role.Peer).ShouldBeTrue();
        secret.KeyFor(Role.Client).ShouldNotBe(secret.KeyFor(Role.Worker));
    }

    [Fact]
    public void Text_form_round_trips_and_never_prints_the_secret()
    {
        var secret = ClusterToken.CreateClusterSecret();
        var text = secret.Encode();
        ClusterToken.Parse(text).KeyFor(Role.Client).ShouldBe(secret.KeyFor(Role.Client));
        secret.ToString().ShouldNotContain(text.Split('.')[2]);
        SecurityOptions.FromToken(text).ToString().ShouldNotContain(text.Split('.')[2]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("shoal1")]
    [InlineData("shoal1.worker.abc")]
    [InlineData("shoal2.scheduler.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("shoal1.scheduler.short")]
    [InlineData("shoal1.peer.a.b")]
    [InlineData("shoal1.worker.!!!.###")]
    public void Malformed_tokens_are_refused_without_echoing_them(string text)
    {
        var error = Should.Throw<FormatException>(() => ClusterToken.Parse(text));
        if (text.Length > 12) error.Message.ShouldNotContain(text);
    }

    [Fact]
    public void Proof_is_bound_to_direction_challenge_nonce_role_and_name()
    {
        var key = ClusterToken.CreateClusterSecret().KeyFor(Role.Client)!;
        var hello = new Hello { Role = Role.Client, Name = "a" };
        hello.Claims["role"] = "client";
        byte[] challenge = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        byte[] nonce = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 3))];
        var proof = ClusterToken.Proof(key, ProofDirection.ConnectingSide, challenge, nonce, hello);
        ClusterToken.Proof(key, ProofDirection.ConnectingSide, challenge, nonce, hello).ShouldBe(proof);
        ClusterToken.Proof(key, ProofDirection.ConnectingSide, nonce, challenge, hello).ShouldNotBe(proof);
        ClusterToken.Proof(key, ProofDirection.ListeningSide, challenge, nonce, hello).ShouldNotBe(proof);
        var renamed = hello.Clone();
        renamed.Name = "b";
        ClusterToken.Proof(key, ProofDirection.ConnectingSide, challenge, nonce, renamed).ShouldNotBe(proof);
        var otherRole = hello.Clone();
        otherRole.Role = Role.Worker;
        ClusterToken.Proof(key, ProofDirection.ConnectingSide, challenge, nonce, otherRole).ShouldNotBe(proof);
    }
}
