// Accepts TCP connections for the protocol. The listener only accepts and wraps; deciding whether to
// keep a connection (capacity, duplicates) is the connection manager's job.
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Internal;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Transport;

public sealed class TcpPeerListener : IDisposable
{
    private static readonly TimeSpan AcceptErrorPause = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;

    private TcpPeerListener(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The bound endpoint (with the actual port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    public int Port => LocalEndPoint.Port;

    /// <summary>
    /// Binds and listens on <paramref name="endPoint"/> (port 0: a free port). Binding
    /// <see cref="IPAddress.IPv6Any"/> accepts IPv4 too (dual mode). A port in use, a refused or
    /// unavailable address throws <see cref="ListenFailedException"/>, with nothing left open.
    /// </summary>
    public static TcpPeerListener Start(IPEndPoint endPoint, int backlog = 128)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return new TcpPeerListener(socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw ListenPort.Failed(endPoint, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the next inbound connection; returned not started (attach handlers, then Start).</summary>
    public async Task<PeerConnection> AcceptAsync(ProtocolConnectionOptions? options = null, CancellationToken ct = default)
    {
        var socket = await AcceptSocketAsync(ct).ConfigureAwait(false);
        return Wrap(socket, isInitiator: false, options, address: null);
    }

    internal async Task<Socket> AcceptSocketAsync(CancellationToken ct)
    {
        var socket = await _socket.AcceptAsync(ct).ConfigureAwait(false);
        TcpSockets.Configure(socket);
        return socket;
    }

    /// <summary>
    /// For accept loops: the next socket, or null once <paramref name="ct"/> is cancelled. A failed
    /// accept (e.g. out of file descriptors) is logged and followed by a short pause instead of a spin.
    /// </summary>
    internal async Task<Socket?> AcceptNextAsync(ILogger log, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                return await AcceptSocketAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && ct.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception e)
            {
                TransportLog.AcceptFailed(log, e);
                try { await Task.Delay(AcceptErrorPause, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return null; }
            }
        }
        return null;
    }

    /// <summary>Wraps an accepted socket; null (logged, socket closed) if it died between accept and wrap.</summary>
    internal static PeerConnection? TryWrapInbound(Socket socket, ProtocolConnectionOptions options, ILogger log)
    {
        try
        {
            return Wrap(socket, isInitiator: false, options, address: null);
        }
        catch (Exception e)
        {
            TransportLog.AcceptFailed(log, e); // no remote endpoint any more
            socket.Dispose();
            return null;
        }
    }

    internal static PeerConnection Wrap(Socket socket, bool isInitiator, ProtocolConnectionOptions? options, PeerAddress? address)
    {
        var remote = TcpSockets.RemoteEndPointOf(socket);
        var stream = new NetworkStream(socket, ownsSocket: true);
        return new PeerConnection(new ProtocolConnection(stream, isInitiator, options), remote, address);
    }

    public void Dispose() => _socket.Dispose();
}
