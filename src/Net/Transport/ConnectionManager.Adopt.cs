// Connections carried by another transport (a hyperswarm secret-stream, say): the caller hands over an
// already-open duplex pipe and who dialled; hypercore-protocol runs on it exactly as on a TCP socket,
// and it shares this manager's slots (MaxConnections) and its one-connection-per-identity rule with
// the TCP connections, so a peer reached over both keeps one connection.
using System.IO.Pipelines;
using System.Net;

namespace Cabal.Net.Transport;

public sealed partial class ConnectionManager
{
    /// <summary>
    /// Runs hypercore-protocol over <paramref name="transport"/> (we are the Noise initiator iff
    /// <paramref name="isInitiator"/>), through the application callback, the handshake (bounded by
    /// HandshakeTimeout) and the duplicate check. <paramref name="owner"/>, if given, is disposed when the
    /// protocol connection ends. False (nothing taken, the caller disposes) when at capacity or shutting down.
    /// </summary>
    public bool Adopt(IDuplexPipe transport, bool isInitiator, IPEndPoint remoteEndPoint, string transportName, IAsyncDisposable? owner = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        lock (_gate)
            if (_stopping || !_started) return false;
        if (!TryReserveSlot())
        {
            TransportLog.RefusedAtCapacity(_log, remoteEndPoint, _options.MaxConnections);
            return false;
        }
        var peer = new PeerConnection(new ProtocolConnection(transport, isInitiator, _connectionOptions), remoteEndPoint, null) { Transport = transportName };
        if (owner is not null)
            _ = peer.Connection.Completion.ContinueWith(_ => owner.DisposeAsync().AsTask(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        _ = Track(RunAdoptedAsync(peer, _cts.Token));
        return true;
    }

    private async Task RunAdoptedAsync(PeerConnection peer, CancellationToken ct)
    {
        await Task.Yield(); // off the caller's (transport's) thread
        using var deadline = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        await RunHandshakeAsync(peer, timeout.Token, ct).ConfigureAwait(false);
    }
}
