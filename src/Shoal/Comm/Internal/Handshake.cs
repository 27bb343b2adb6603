using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm.Internal;

/// <summary>The transport-independent half of the handshake: what to say and what to decide.</summary>
internal static class Handshake
{
    /// <summary>Builds the connecting side's Hello.</summary>
    public static async ValueTask<Hello> CreateHelloAsync(ConnectionOptions options, CancellationToken cancellationToken)
    {
        var hello = new Hello
        {
            MinProtocol = options.MinProtocol,
            MaxProtocol = options.MaxProtocol,
            ShoalVersion = options.ShoalVersion,
            Role = options.Role,
            Name = options.Name,
        };
        await options.Authenticator.PrepareHelloAsync(hello, cancellationToken).ConfigureAwait(false);
        return hello;
    }

    /// <summary>The accepting side's answer: a Welcome, or a Refusal with the reason.</summary>
    public readonly record struct Decision(Welcome? Welcome, Refusal? Refusal);

    /// <summary>Decides whether to accept a Hello: protocol version, then authentication.</summary>
    public static async ValueTask<Decision> DecideAsync(Hello hello, ListenerOptions options, CancellationToken cancellationToken)
    {
        var server = options.Role == Role.Unspecified ? "server" : RoleNames.Of(options.Role);
        var ours = ProtocolVersion.FormatRange(options.MinProtocol, options.MaxProtocol);
        var theirs = ProtocolVersion.FormatRange(hello.MinProtocol, hello.MaxProtocol);
        var agreed = Math.Min(options.MaxProtocol, hello.MaxProtocol);
        if (hello.MaxProtocol == 0 || hello.MinProtocol > hello.MaxProtocol)
            return Refuse($"the hello carries no valid protocol version range ({theirs}), the {server} speaks {ours}");
        if (agreed < options.MinProtocol || agreed < hello.MinProtocol)
            return Refuse($"protocol version {theirs} not supported, the {server} speaks {ours}");

        var expected = options.Authenticator.Method;
        var method = hello.AuthMethod.Length == 0 ? "none" : hello.AuthMethod;
        if (method != expected)
            return Refuse($"authentication method '{method}' not accepted, the {server} expects '{expected}'"
                + (method == "none" ? ": pass SecurityOptions with this cluster's credentials" : ""));

        var welcome = new Welcome
        {
            Protocol = agreed,
            ShoalVersion = options.ShoalVersion,
            Role = options.Role,
            Name = options.Name,
        };
        var refusal = await options.Authenticator.AuthenticateAsync(hello, welcome, cancellationToken).ConfigureAwait(false);
        if (refusal is not null) return Refuse(refusal);
        if (options.SessionIdFactory is { } factory) welcome.SessionId = factory(hello);
        return new Decision(welcome, null);

        Decision Refuse(string reason) => new(null, CreateRefusal(reason, options));
    }

    /// <summary>A refusal carrying our version range.</summary>
    public static Refusal CreateRefusal(string reason, ListenerOptions options) => new()
    {
        Reason = reason,
        MinProtocol = options.MinProtocol,
        MaxProtocol = options.MaxProtocol,
        ShoalVersion = options.ShoalVersion,
    };

    /// <summary>Accepting side, after a challenge: checks the proof; the final Welcome has no challenge.</summary>
    public static async ValueTask<Decision> VerifyAsync(Hello hello, Welcome challenged, AuthProof proof, ListenerOptions options, CancellationToken cancellationToken)
    {
        var refusal = await options.Authenticator.VerifyProofAsync(hello, challenged, proof, cancellationToken).ConfigureAwait(false);
        if (refusal is not null) return new Decision(null, CreateRefusal(refusal, options));
        var final = challenged.Clone();
        final.Challenge = Google.Protobuf.ByteString.Empty;
        final.ListenerProof = Google.Protobuf.ByteString.Empty;
        return new Decision(final, null);
    }

    /// <summary>Connecting side: answers a challenge; a listener that did not prove itself is named in the error (and gets nothing).</summary>
    public static async ValueTask<AuthProof> AnswerChallengeAsync(string address, Hello hello, Welcome challenged, ConnectionOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await options.Authenticator.AnswerChallengeAsync(hello, challenged, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Security.Authentication.AuthenticationException ex)
        {
            throw new System.Security.Authentication.AuthenticationException($"{address} {ex.Message}", ex);
        }
    }

    /// <summary>What the accepting side knows about the connecting side.</summary>
    public static PeerInfo PeerOf(Hello hello, Welcome welcome) =>
        new(hello.Role, hello.Name, hello.ShoalVersion, welcome.Protocol, welcome.SessionId);

    /// <summary>What the connecting side knows about the accepting side.</summary>
    public static PeerInfo PeerOf(Welcome welcome) =>
        new(welcome.Role, welcome.Name, welcome.ShoalVersion, welcome.Protocol, welcome.SessionId);

    /// <summary>The connecting side's error for a refusal.</summary>
    public static HandshakeRefusedException Refused(string address, Refusal refusal, ConnectionOptions options) =>
        new($"{address} refused the connection: {refusal.Reason} (its Shoal {refusal.ShoalVersion}, ours {options.ShoalVersion})", refusal);

    /// <summary>The accepting side's error for a refusal it sent.</summary>
    public static HandshakeRefusedException RefusedPeer(string remote, Hello hello, Refusal refusal) =>
        new($"refused {RoleNames.Of(hello.Role)} '{hello.Name}' from {remote}: {refusal.Reason} (its Shoal {hello.ShoalVersion}, ours {refusal.ShoalVersion})", refusal);

    /// <summary>
    /// Checks a final Welcome: the listener proved itself as our authenticator requires
    /// (<paramref name="challenged"/>: it went through a challenge), and chose a protocol we offered.
    /// </summary>
    public static void CheckWelcome(string address, Hello hello, Welcome welcome, bool challenged, ConnectionOptions options)
    {
        if (options.Authenticator.CheckListener(hello, welcome, challenged) is { } refused)
            throw new System.Security.Authentication.AuthenticationException($"{address} {refused}");
        if (welcome.Protocol < options.MinProtocol || welcome.Protocol > options.MaxProtocol)
            throw new ProtocolException(
                $"{address} chose protocol version {welcome.Protocol}, which is outside the {ProtocolVersion.FormatRange(options.MinProtocol, options.MaxProtocol)} we offered");
    }
}
