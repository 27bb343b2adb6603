using System.Buffers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Security;

namespace Shoal.Comm.Internal;

/// <summary>
/// TLS (1.2 or 1.3) as a decorator of another <see cref="ByteChannel"/> (the TCP socket): both
/// sides show a certificate signed by the cluster CA, checked against that CA alone; the role in
/// the peer's certificate becomes <see cref="PeerRole"/>. Nothing above the channel changes.
/// </summary>
internal sealed class TlsByteChannel : ByteChannel
{
    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;
    private const int CoalesceSize = 64 * 1024;
    private const int MaxRecordPlaintext = 16 * 1024; // TLS: at most 2^14 bytes of plaintext per record

    private readonly ByteChannel _inner;
    private readonly ByteChannelStream _stream;
    private readonly SslStream _ssl;
    private byte[]? _coalesce;
    private int _disposed;

    private TlsByteChannel(ByteChannel inner, ByteChannelStream stream, SslStream ssl, Role peerRole)
    {
        _inner = inner;
        _stream = stream;
        _ssl = ssl;
        PeerRole = peerRole;
    }

    /// <summary>The role named in the peer's certificate (proved by the TLS handshake).</summary>
    public Role PeerRole { get; }

    public override string LocalAddress => _inner.LocalAddress.Replace("tcp://", "tls://", StringComparison.Ordinal);

    public override string RemoteAddress => _inner.RemoteAddress.Replace("tcp://", "tls://", StringComparison.Ordinal);

    /// <summary>Connecting side: runs the TLS handshake over <paramref name="inner"/>; throws with what to do when it fails.</summary>
    public static async Task<TlsByteChannel> ConnectAsync(ByteChannel inner, SecurityOptions security, Role role, string host, string address, CancellationToken cancellationToken)
    {
        var ca = security.CaCertificate!;
        var certificate = security.CertificateFor(role)
            ?? throw new InvalidOperationException($"the SecurityOptions hold no certificate to connect as {RoleNames.Of(role)} (it has {string.Join(", ", security.CertificateRoles.Select(RoleNames.Of))})");
        var check = new PeerCheck(ca);
        var stream = new ByteChannelStream(inner);
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false, check.Validate);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host.Length == 0 ? "localhost" : host,
                EnabledSslProtocols = Protocols,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                ClientCertificateContext = SslStreamCertificateContext.Create(certificate, null, offline: true),
                AllowRenegotiation = false,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (check.Error is { } error) throw new AuthenticationException($"{address}: {error}", ex);
            throw new IOException($"{address}: the TLS handshake failed ({ex.Message}). Is the peer listening with TLS (a plaintext tcp:// scheduler closes TLS connections), and does it trust our cluster CA?", ex);
        }
        return new TlsByteChannel(inner, stream, ssl, check.Role);
    }

    /// <summary>Accepting side: runs the TLS handshake, requiring a client certificate from the cluster CA.</summary>
    public static async Task<TlsByteChannel> AcceptAsync(ByteChannel inner, SecurityOptions security, Role role, ListenerOptions options, CancellationToken cancellationToken)
    {
        var certificate = security.CertificateFor(role)
            ?? throw new InvalidOperationException($"the SecurityOptions hold no {RoleNames.Of(role)} certificate to listen with");
        var check = new PeerCheck(security.CaCertificate!);
        var stream = new ByteChannelStream(inner);
        var ssl = new SslStream(stream, leaveInnerStreamOpen: true, check.Validate);
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(certificate, null, offline: true),
                ClientCertificateRequired = true,
                EnabledSslProtocols = Protocols,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                AllowRenegotiation = false,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            var head = stream.Head.ToArray();
            ssl.Dispose();
            if (ex is OperationCanceledException) throw;
            if (head.Length >= 5 && head.AsSpan(0, 5).SequenceEqual("SHOAL"u8))
            {
                // A plaintext Shoal peer: tell it, in its own language, what to do.
                await TcpHandshake.SendRefusalAsync(inner, Handshake.CreateRefusal(
                    $"the {RoleNames.Of(role)} requires TLS: pass SecurityOptions and connect with tls://", options), cancellationToken).ConfigureAwait(false);
                inner.ShutdownSend();
                throw new ProtocolException("plaintext Shoal connection on a TLS port (refused: the peer must connect with tls:// and SecurityOptions)");
            }
            if (check.Error is { } error) throw new AuthenticationException($"TLS client refused: {error}", ex);
            if (head.Length == 0) throw new ProtocolException("the peer closed the connection before the TLS handshake", ex);
            throw new ProtocolException($"TLS handshake failed: {ex.Message}", ex);
        }
        return new TlsByteChannel(inner, stream, ssl, check.Role);
    }

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _ssl.ReadAsync(buffer, cancellationToken);

    public override bool HasUnreadBytes => _inner.HasUnreadBytes;

    /// <summary>
    /// Encrypts <paramref name="data"/> and sends it: small buffers are gathered into SslStream
    /// writes of up to 64 KiB (each write of a small buffer would cost a TLS record and a seal of
    /// its own), big ones go to SslStream as they are; the encrypted records of the whole call
    /// leave in socket writes of up to <see cref="ByteChannelStream.BatchSize"/>.
    /// </summary>
    public override async ValueTask SendAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        if (data.IsSingleSegment && data.Length <= MaxRecordPlaintext)
        {
            // One record: nothing to gather, it goes out as SslStream writes it.
            await _ssl.WriteAsync(data.First, cancellationToken).ConfigureAwait(false);
            return;
        }
        _stream.BeginBatch();
        try
        {
            if (data.IsSingleSegment) await _ssl.WriteAsync(data.First, cancellationToken).ConfigureAwait(false);
            else await WriteGatheredAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _stream.AbandonBatch();
            throw;
        }
        await _stream.EndBatchAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask WriteGatheredAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        _coalesce ??= new byte[CoalesceSize];
        var filled = 0;
        foreach (var memory in data)
        {
            if (memory.Length >= CoalesceSize)
            {
                if (filled > 0) await _ssl.WriteAsync(_coalesce.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                filled = 0;
                await _ssl.WriteAsync(memory, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var rest = memory;
            while (!rest.IsEmpty)
            {
                var take = Math.Min(rest.Length, CoalesceSize - filled);
                rest.Span[..take].CopyTo(_coalesce.AsSpan(filled));
                filled += take;
                rest = rest[take..];
                if (filled == CoalesceSize)
                {
                    await _ssl.WriteAsync(_coalesce, cancellationToken).ConfigureAwait(false);
                    filled = 0;
                }
            }
        }
        if (filled > 0) await _ssl.WriteAsync(_coalesce.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends TLS close_notify, then FIN. Called once the send loop has stopped, so no write races it.</summary>
    public override void ShutdownSend()
    {
        try { _ssl.ShutdownAsync().Wait(TimeSpan.FromSeconds(5)); }
        catch (Exception) { /* the peer is gone: FIN below still tells it */ }
        _inner.ShutdownSend();
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _ssl.Dispose();
        _inner.Dispose();
    }

    /// <summary>Per-connection certificate check: chain to the cluster CA and a role in the certificate.</summary>
    private sealed class PeerCheck(X509Certificate2 ca)
    {
        public string? Error { get; private set; }

        public Role Role { get; private set; }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate is null)
            {
                Error = "the peer sent no certificate (it needs one signed by the cluster CA: pass SecurityOptions)";
                return false;
            }
            var peer = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            Error = ChainValidator.Validate(ca, peer);
            if (Error is not null) return false;
            Role = CertificateRoles.Of(peer);
            if (Role == Role.Unspecified)
            {
                Error = $"certificate '{peer.Subject}' carries no Shoal role (SAN URI shoal:role:...)";
                return false;
            }
            return true;
        }
    }
}
