// An encrypted connection to a peer found by public key (what hyperdht's connect() and a server's
// 'connection' event hand out; spec/hyperswarm.md §5.8): a secret-stream (SecretStreamPipe) over a UDX
// stream, exposed as a plaintext duplex pipe, with the remote's public key and whether we dialled.
// Complete Output to end our side (the peer sees end of stream); Input completes when the peer ends.
// DisposeAsync tears it down at once. A holepunch socket the stream runs on belongs to the connection and
// is closed after the stream (and its linger).
// Whoever runs a protocol over an accepted connection closes it with CloseAsync(reason) when that
// protocol ends: a PeerAbuseException reason puts the address in the admission control's penalty box,
// as on TCP listeners (docs/hostile-peers.md).
using System.IO.Pipelines;
using System.Net;
using Cabal.Net.NoiseIk;
using Cabal.Net.SecretStream;
using Cabal.Net.Udx;

namespace Cabal.Net.HyperDht;

/// <summary>How a connection's UDX path was found (spec/hyperswarm.md §3.9).</summary>
public enum ConnectionPath
{
    /// <summary>No relay in between: the client reached the server directly, or the server connected to an OPEN client.</summary>
    Direct,

    /// <summary>The server is reachable (OPEN): the client dialled its public address after a relayed handshake.</summary>
    Open,

    /// <summary>Same public host: the server's local address answered (the LAN shortcut).</summary>
    Lan,

    /// <summary>Through the NATs by holepunching.</summary>
    Holepunch,
}

public sealed class HyperDhtConnection : IDuplexPipe, IAsyncDisposable
{
    private int _disposed;

    internal HyperDhtConnection(UdxStream stream, SecretStreamPipe secure, NoiseIkResult noise, bool isInitiator, ConnectionPath path,
        int holepunchRounds, UdxSocket? ownedSocket, TimeSpan linger)
    {
        RawStream = stream;
        SecretStream = secure;
        PublicKey = noise.PublicKey;
        RemotePublicKey = noise.RemotePublicKey;
        HandshakeHash = noise.HandshakeHash;
        IsInitiator = isInitiator;
        Path = path;
        HolepunchRounds = holepunchRounds;
        if (ownedSocket is not null)
            _ = stream.Closed.ContinueWith(async _ =>
            {
                await Task.Delay(linger).ConfigureAwait(false);
                ownedSocket.Close();
            }, TaskScheduler.Default);
    }

    /// <summary>Our static public key.</summary>
    public byte[] PublicKey { get; }

    /// <summary>The peer's static public key, authenticated by the Noise handshake.</summary>
    public byte[] RemotePublicKey { get; }

    public byte[] HandshakeHash { get; }

    /// <summary>True if we dialled (hyperswarm's info.client; the hypercore-protocol initiator).</summary>
    public bool IsInitiator { get; }

    public ConnectionPath Path { get; }

    /// <summary>PEER_HOLEPUNCH rounds the client ran before the path was found (0 without holepunching).</summary>
    public int HolepunchRounds { get; }

    public IPEndPoint? RemoteEndPoint => RawStream.RemoteEndPoint;

    /// <summary>The UDX stream underneath (statistics, socket).</summary>
    public UdxStream RawStream { get; }

    public SecretStreamPipe SecretStream { get; }

    /// <summary>Plaintext from the peer.</summary>
    public PipeReader Input => SecretStream.Input;

    /// <summary>Plaintext to the peer; complete it to end the connection cleanly.</summary>
    public PipeWriter Output => SecretStream.Output;

    /// <summary>Completes when both directions have ended; faults with the reason the connection failed.</summary>
    public Task Completion => SecretStream.Completion;

    /// <summary>Completes when the UDX stream has closed: null when clean, else why it failed.</summary>
    public Task<Exception?> Closed => RawStream.Closed;

    /// <summary>Why the connection was closed, as given to <see cref="CloseAsync"/> (null: plain dispose or closed by the peer).</summary>
    public Exception? CloseReason { get; private set; }

    /// <summary>
    /// Closes the connection because of <paramref name="reason"/> (for an accepted connection, a
    /// <see cref="PeerAbuseException"/> in it penalizes the remote's address in admission control).
    /// Pass the protocol's error when the protocol on top ends (e.g. ProtocolConnection.Error).
    /// </summary>
    public ValueTask CloseAsync(Exception? reason)
    {
        if (reason is not null && Volatile.Read(ref _disposed) == 0) CloseReason ??= reason;
        return DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await SecretStream.DisposeAsync().ConfigureAwait(false);
        RawStream.Destroy();
    }

    public override string ToString()
        => $"{(IsInitiator ? "to" : "from")} {Convert.ToHexStringLower(RemotePublicKey)[..16]} via {Path} at {RemoteEndPoint}";
}
