// Socket plumbing shared by the listener and the dialer: one place that decides how a peer TCP socket
// is configured, so accepted and dialled connections behave the same.
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Internal;

internal static class TcpSockets
{
    /// <summary>Connects to <paramref name="endPoint"/> (DNS names resolved now); the socket is disposed on failure.</summary>
    public static async Task<Socket> ConnectAsync(EndPoint endPoint, CancellationToken ct)
    {
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp); // dual mode: DNS may answer with either family
        try
        {
            await socket.ConnectAsync(endPoint, ct).ConfigureAwait(false);
            Configure(socket);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Small frames (acks, haves, chat lines) should not wait for Nagle; TCP keep-alive notices peers
    /// that vanished without a FIN even when the protocol's own pings are disabled.
    /// </summary>
    public static void Configure(Socket socket)
    {
        socket.NoDelay = true;
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        }
        catch (SocketException)
        {
            // Not every platform lets us; the protocol's idle timeout still ends dead connections.
        }
    }

    /// <summary>The remote endpoint as IPv4 when it is an IPv4-mapped IPv6 address (dual-mode listeners).</summary>
    public static IPEndPoint RemoteEndPointOf(Socket socket)
    {
        var ep = (IPEndPoint)socket.RemoteEndPoint!;
        return ep.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(ep.Address.MapToIPv4(), ep.Port) : ep;
    }
}
