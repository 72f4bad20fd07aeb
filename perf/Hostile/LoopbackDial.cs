// Dialling the bot from a chosen loopback source address, so each attacker (and the legitimate
// peers) is a host of its own to the bot's admission control. Loopback only: 127.0.0.0/8 is all
// local, and binding a socket to 127.A.B.C before connecting makes the bot see that address.
using System.Net;
using System.Net.Sockets;

namespace Cabal.Perf.Hostile;

internal static class LoopbackDial
{
    /// <summary>How long one connect or handshake may take before it counts as refused.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>A TCP connection from <paramref name="from"/> (a loopback address) to 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<Socket> ConnectFromAsync(IPAddress from, int port, CancellationToken ct = default)
    {
        if (!IPAddress.IsLoopback(from)) throw new ArgumentException("Loopback only.", nameof(from));
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(from, 0));
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(Patience);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True when the server has closed <paramref name="socket"/> (reset or FIN), without blocking.</summary>
    public static bool IsClosedByServer(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>127.0.<paramref name="b"/>.<paramref name="c"/>.</summary>
    public static IPAddress Loopback(int b, int c) => new([127, 0, (byte)b, (byte)c]);
}
