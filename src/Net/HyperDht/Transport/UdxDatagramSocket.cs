// dht-rpc on UDX sockets (spec/hyperswarm.md §0): every socket of a HyperDHT node — the dht-rpc server
// and client sockets and each holepunch socket — is a UdxSocket of the node's one Udx instance, so UDX
// streams and dht-rpc share sockets as in JS. UDX takes the datagrams of its live streams; everything
// else reaches the DHT node through IDatagramSocket.OnDatagram.
using System.Net;
using Cabal.Net.Dht;
using Cabal.Net.Udx;
using UdxInstance = Cabal.Net.Udx.Udx;

namespace Cabal.Net.HyperDht.Transport;

/// <summary>A UdxSocket seen as dht-rpc's datagram socket.</summary>
public sealed class UdxDatagramSocket(UdxSocket socket) : IDatagramSocket
{
    public UdxSocket Socket { get; } = socket;

    public IPEndPoint LocalEndPoint => Socket.LocalEndPoint ?? throw new InvalidOperationException("The socket is not bound.");

    public Action<ReadOnlyMemory<byte>, IPEndPoint>? OnDatagram
    {
        get => Socket.OnDatagram;
        set => Socket.OnDatagram = value;
    }

    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint to, int ttl = 0)
        => to.Port != 0 && Socket.TrySend(datagram, to, ttl);

    public void Dispose() => Socket.Close();

    public override string ToString() => Socket.ToString();
}

/// <summary>Binds dht-rpc's sockets as UdxSockets of one Udx instance.</summary>
public sealed class UdxDatagramSocketFactory(UdxInstance udx) : IDatagramSocketFactory
{
    public UdxInstance Udx { get; } = udx;

    public IDatagramSocket Bind(IPEndPoint endPoint) => new UdxDatagramSocket(Udx.Bind(endPoint));
}
