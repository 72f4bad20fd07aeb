// Dials a peer over TCP and wraps the socket in an initiator ProtocolConnection.
using Cabal.Net.Internal;

namespace Cabal.Net.Transport;

public static class TcpDialer
{
    /// <summary>
    /// Connects to <paramref name="address"/> (DNS resolved now) and returns the connection not started
    /// (attach handlers, then Start). Cancel <paramref name="ct"/> to bound the connect time.
    /// </summary>
    public static async Task<PeerConnection> DialAsync(PeerAddress address, ProtocolConnectionOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var socket = await TcpSockets.ConnectAsync(address.ToEndPoint(), ct).ConfigureAwait(false);
        return TcpPeerListener.Wrap(socket, isInitiator: true, options, address);
    }
}
