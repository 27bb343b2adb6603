using System.Security.Cryptography;
using Google.Protobuf;
using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using static Shoal.Tests.Comm.CommTestHelpers;

namespace Shoal.Tests.Comm;

/// <summary>The authentication hook drives a challenge/response round over every transport.</summary>
public class AuthenticationHookTests
{
    /// <summary>A toy challenge/response: proof = SHA-256(secret | challenge). Only for exercising the hook.</summary>
    private sealed class SharedSecret(string secret) : IHandshakeAuthenticator
    {
        public string Method => "test-secret";

        public ValueTask PrepareHelloAsync(Hello hello, CancellationToken cancellationToken)
        {
            hello.AuthMethod = Method;
            return ValueTask.CompletedTask;
        }

        public ValueTask<string?> AuthenticateAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken)
        {
            welcome.Challenge = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16));
            return ValueTask.FromResult<string?>(null);
        }

        public ValueTask<AuthProof> AnswerChallengeAsync(Hello hello, Welcome welcome, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new AuthProof { Proof = ByteString.CopyFrom(Prove(welcome.Challenge)) });

        public ValueTask<string?> VerifyProofAsync(Hello hello, Welcome welcome, AuthProof proof, CancellationToken cancellationToken) =>
            ValueTask.FromResult(proof.Proof.Span.SequenceEqual(Prove(welcome.Challenge)) ? null : "wrong secret");

        private byte[] Prove(ByteString challenge) => SHA256.HashData([.. System.Text.Encoding.UTF8.GetBytes(secret), .. challenge.ToByteArray()]);
    }

    public static TheoryData<string> Addresses => new() { "tcp://127.0.0.1:0", "inproc://auth-" + Guid.NewGuid().ToString("N") };

    [Theory]
    [MemberData(nameof(Addresses))]
    public async Task Right_proof_is_accepted_and_frames_follow(string address)
    {
        var server = Server();
        server.Authenticator = new SharedSecret("s3cret");
        var client = Client();
        client.Authenticator = new SharedSecret("s3cret");
        var (listener, connection, accepted) = await PairAsync(address, server, client);
        await using var _ = listener;
        await using var __ = connection;
        await using var ___ = accepted;

        connection.Send(Ping(5));
        (await accepted.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(5UL);
        accepted.Send(Ping(6));
        (await connection.ReceiveOneAsync()).Message.Ping.RequestId.ShouldBe(6UL);
    }

    [Theory]
    [MemberData(nameof(Addresses))]
    public async Task Wrong_proof_is_refused_on_both_sides(string address)
    {
        var failures = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = Server();
        server.Authenticator = new SharedSecret("s3cret");
        server.HandshakeFailed = (_, e) => failures.TrySetResult(e);
        await using var listener = await Transports.ListenAsync(address, server);
        var client = Client("mallory");
        client.Authenticator = new SharedSecret("guess");

        var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Transports.ConnectAsync(listener.Address, client).WaitAsync(Patience));
        error.Message.ShouldContain("refused the connection: wrong secret");
        (await failures.Task.WaitAsync(Patience)).Message.ShouldContain("refused client 'mallory'");
    }

    [Theory]
    [MemberData(nameof(Addresses))]
    public async Task Peer_without_credentials_is_refused_naming_the_expected_method(string address)
    {
        var server = Server();
        server.Authenticator = new SharedSecret("s3cret");
        await using var listener = await Transports.ListenAsync(address, server);

        var error = await Should.ThrowAsync<HandshakeRefusedException>(() => Transports.ConnectAsync(listener.Address, Client()).WaitAsync(Patience));
        error.Message.ShouldContain("authentication method 'none' not accepted, the scheduler expects 'test-secret'");
    }
}
