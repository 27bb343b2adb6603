using Microsoft.Extensions.Logging;
using Shoal.Protocol;

namespace Shoal.Comm.Internal;

/// <summary>
/// The inproc:// transport: a name is looked up in the options' <see cref="InprocNetwork"/>; a
/// connection is a pair of channels passing envelopes and segments by reference. The handshake
/// decision (versions, authentication, session id) is the same as over TCP, just without bytes.
/// </summary>
internal sealed class InprocTransport : ITransport
{
    public string Scheme => "inproc";

    public async Task<IConnection> ConnectAsync(ShoalAddress address, ConnectionOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var text = address.ToString();
        if (!options.InprocNetwork.TryFind(address.Host, out var listener))
            throw new IOException($"cannot connect to {text}: no listener by that name in this process");
        var hello = await Handshake.CreateHelloAsync(options, cancellationToken).ConfigureAwait(false);
        var id = options.InprocNetwork.NextId();
        var clientAddress = $"inproc://{address.Host}.client-{id}";
        var decision = await Handshake.DecideAsync(hello, listener.Options, cancellationToken).ConfigureAwait(false);
        var wasChallenged = false;
        if (decision.Welcome is { Challenge.IsEmpty: false } challenged)
        {
            wasChallenged = true;
            var proof = await Handshake.AnswerChallengeAsync(text, hello, challenged, options, cancellationToken).ConfigureAwait(false);
            decision = await Handshake.VerifyAsync(hello, challenged, proof, listener.Options, cancellationToken).ConfigureAwait(false);
        }
        if (decision.Refusal is { } refusal)
        {
            listener.ReportHandshakeFailure(clientAddress, Handshake.RefusedPeer(clientAddress, hello, refusal));
            throw Handshake.Refused(text, refusal, options);
        }
        var welcome = decision.Welcome!;
        Handshake.CheckWelcome(text, hello, welcome, wasChallenged, options);
        var (client, server) = InprocConnection.CreatePair(clientAddress, text, Handshake.PeerOf(welcome), Handshake.PeerOf(hello, welcome));
        if (!listener.Offer(server))
        {
            await client.CloseAsync("refused").ConfigureAwait(false);
            throw new IOException($"cannot connect to {text}: the listener stopped");
        }
        return client;
    }

    public Task<IListener> ListenAsync(ShoalAddress address, ListenerOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var network = options.InprocNetwork;
        var name = address.Host.Length > 0 ? address.Host : $"auto-{network.NextId()}";
        var listener = new InprocListener(name, options);
        if (!network.TryAdd(name, listener))
            throw new IOException($"cannot listen on inproc://{name}: the name is already in use in this process");
        listener.Unregister = () => network.Remove(name, listener);
        return Task.FromResult<IListener>(listener);
    }
}

/// <summary>A named in-process listener.</summary>
internal sealed class InprocListener : IListener
{
    private readonly System.Threading.Channels.Channel<IConnection> _accepted =
        System.Threading.Channels.Channel.CreateUnbounded<IConnection>();
    private readonly ILogger _logger;
    private int _disposed;

    public InprocListener(string name, ListenerOptions options)
    {
        Options = options;
        Address = $"inproc://{name}";
        _logger = options.LoggerFactory.CreateLogger("Shoal.Comm.Listener");
    }

    public ListenerOptions Options { get; }

    /// <summary>Removes it from the registry (set by the transport once registered).</summary>
    public Action Unregister { get; set; } = () => { };

    public string Address { get; }

    public bool Offer(IConnection connection) => _accepted.Writer.TryWrite(connection);

    public void ReportHandshakeFailure(string remote, Exception error)
    {
        CommLog.HandshakeFailed(_logger, remote, Address, error.Message);
        try { Options.HandshakeFailed?.Invoke(remote, error); }
        catch (Exception callbackError) { CommLog.HandshakeFailed(_logger, remote, Address, "HandshakeFailed callback threw: " + callbackError.Message); }
    }

    public async ValueTask<IConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            if (_accepted.Reader.TryRead(out var connection)) return connection;
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Unregister();
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var connection))
            await connection.CloseAsync("the listener stopped").ConfigureAwait(false);
    }
}
