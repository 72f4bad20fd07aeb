// Accept loop, and connections a SharedPeerListener routes here. Capacity is checked before any
// protocol work: a refused socket is closed at once, so a flood of inbound connections costs an
// accept and a close each, not a handshake.

namespace Cabal.Net.Transport;

public sealed partial class ConnectionManager
{
    private async Task AcceptLoopAsync(TcpPeerListener listener, CancellationToken ct)
    {
        while (await listener.AcceptNextAsync(_log, ct).ConfigureAwait(false) is { } socket)
        {
            if (!TryReserveSlot())
            {
                TransportLog.RefusedAtCapacity(_log, Internal.TcpSockets.RemoteEndPointOf(socket), _options.MaxConnections);
                socket.Dispose();
                continue;
            }

            if (TcpPeerListener.TryWrapInbound(socket, _connectionOptions, _log) is not { } peer)
            {
                ReleaseSlot();
                continue;
            }
            _ = Track(HandleInboundAsync(peer, ct));
        }
    }

    private async Task HandleInboundAsync(PeerConnection peer, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        await RunHandshakeAsync(peer, timeout.Token, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes a connection from the shared listener: handshake done, started, and its receive loop is
    /// processing the remote's first Open, for our route key. The application callback runs now, so it
    /// can accept that channel. False (and nothing taken) when at capacity or shutting down.
    /// </summary>
    internal bool AdoptRouted(PeerConnection peer)
    {
        if (!TryReserveSlot())
        {
            TransportLog.RefusedAtCapacity(_log, peer.RemoteEndPoint, _options.MaxConnections);
            return false;
        }
        if (!TryTrack(peer))
        {
            ReleaseSlot();
            return false;
        }
        InvokeSafely(() => _onConnection(peer));
        Register(peer);
        return true;
    }
}
