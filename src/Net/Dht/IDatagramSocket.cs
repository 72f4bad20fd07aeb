// The one thing dht-rpc needs from the network: send a datagram, be told about received ones. The
// node owns no sockets itself, so tests wire nodes through an in-memory network, production uses
// UdpDatagramSocket, and UDX's UdxSocket (which hands every non-UDX datagram to a handler of exactly
// this shape) plugs in with a few lines of adapter.
using System.Net;

namespace Cabal.Net.Dht;

public interface IDatagramSocket : IDisposable
{
    /// <summary>The bound local address (port resolved when bound to port 0).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// Sends one datagram without blocking; false when it was dropped (socket closed, send buffer
    /// full). <paramref name="ttl"/> &gt; 0 sets the IP TTL for this datagram only.
    /// </summary>
    bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint to, int ttl = 0);

    /// <summary>
    /// Called for every received datagram, on the socket's receive loop. The memory is only valid
    /// during the call; the handler must not block. Set before the first datagram can arrive.
    /// </summary>
    Action<ReadOnlyMemory<byte>, IPEndPoint>? OnDatagram { get; set; }
}

/// <summary>Creates bound datagram sockets (UDP by default; tests substitute an in-memory network).</summary>
public interface IDatagramSocketFactory
{
    /// <summary>Binds a socket to <paramref name="endPoint"/> (port 0: any free port). Throws SocketException when the port is taken.</summary>
    IDatagramSocket Bind(IPEndPoint endPoint);
}
