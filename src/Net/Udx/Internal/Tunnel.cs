// The test hook behind UdxTunnel: every datagram a socket sends goes to a gateway (a NAT simulator on
// 127.0.0.1) wrapped as [destination ipv4 4 | port u16le | ttl 1] ‖ datagram; the gateway sends it on from a
// port of its own. Datagrams the gateway hands back carry [source ipv4 4 | port u16le | 0] ‖ datagram and
// are processed as if they came from that source. Anything that does not come from the gateway is
// dropped: a host behind a NAT cannot be reached around it.
using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Udx.Internal;

internal sealed class Tunnel(UdxTunnel options)
{
    public const int HeaderSize = 7;

    private readonly SocketAddress _gateway = options.Gateway.Serialize();
    private long _droppedNotFromGateway;

    public long DroppedNotFromGateway => Interlocked.Read(ref _droppedNotFromGateway);

    /// <summary>Wraps and sends <paramref name="datagram"/> for <paramref name="to"/> to the gateway.</summary>
    public bool Send(Socket socket, ReadOnlySpan<byte> datagram, IPEndPoint to, int ttl)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HeaderSize + datagram.Length);
        try
        {
            WriteAddress(buffer, to);
            buffer[6] = (byte)ttl;
            datagram.CopyTo(buffer.AsSpan(HeaderSize));
            socket.SendTo(buffer.AsSpan(0, HeaderSize + datagram.Length), SocketFlags.None, _gateway);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public bool Send(Socket socket, ReadOnlySpan<byte> datagram, SocketAddress to, int ttl)
        => Send(socket, datagram, (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(to), ttl);

    /// <summary>Unwraps a datagram from the gateway; false (dropped) for anything else.</summary>
    public bool TryUnwrap(ReadOnlyMemory<byte> datagram, SocketAddress from, out ReadOnlyMemory<byte> inner, out SocketAddress source)
    {
        inner = default;
        source = null!;
        if (!from.Equals(_gateway) || datagram.Length < HeaderSize)
        {
            Interlocked.Increment(ref _droppedNotFromGateway);
            return false;
        }
        var span = datagram.Span;
        var address = new IPAddress(span[..4]);
        var port = BinaryPrimitives.ReadUInt16LittleEndian(span[4..6]);
        source = new IPEndPoint(address, port).Serialize();
        inner = datagram[HeaderSize..];
        return true;
    }

    private static void WriteAddress(Span<byte> destination, IPEndPoint to)
    {
        to.Address.MapToIPv4().TryWriteBytes(destination[..4], out _);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..6], (ushort)to.Port);
    }
}
