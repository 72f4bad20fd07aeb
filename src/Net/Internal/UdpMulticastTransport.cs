// The socket half of LAN discovery: one UDP socket bound to the group port (shared with other
// processes through SO_REUSEADDR), joined to the group on one interface, sending with a small TTL.
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Discovery;

namespace Cabal.Net.Internal;

internal sealed class UdpMulticastTransport : IDiscoveryTransport
{
    private readonly Socket _socket;
    private readonly IPEndPoint _group;

    public UdpMulticastTransport(LanDiscoveryOptions options)
    {
        _group = new IPEndPoint(options.MulticastGroup, options.Port);
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Every cabal process on the host listens on the same port; the kernel hands each of them a
            // copy of every group datagram.
            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _socket.Bind(new IPEndPoint(IPAddress.Any, options.Port));
            var iface = options.InterfaceAddress ?? IPAddress.Any;
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(options.MulticastGroup, iface));
            if (options.InterfaceAddress is { } address)
                _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, address.GetAddressBytes());
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, options.TimeToLive);
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, options.MulticastLoopback);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken ct)
        => await _socket.SendToAsync(datagram, SocketFlags.None, _group, ct).ConfigureAwait(false);

    public async ValueTask<(int Length, IPAddress Source)> ReceiveAsync(Memory<byte> buffer, CancellationToken ct)
    {
        var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), ct).ConfigureAwait(false);
        return (result.ReceivedBytes, ((IPEndPoint)result.RemoteEndPoint).Address);
    }

    public void Dispose() => _socket.Dispose();
}
