using System.Net;
using System.Net.Sockets;
using Cabal.Net;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Js;

/// <summary>TCP on 127.0.0.1 only, with every wait bounded.</summary>
public static class Loopback
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Dials 127.0.0.1:<paramref name="port"/> and starts a connection as the initiator.</summary>
    public static async Task<ProtocolConnection> DialAsync(int port, ProtocolConnectionOptions? options = null)
    {
        var client = new TcpClient();
        using var cts = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        client.NoDelay = true;
        return new ProtocolConnection(client.GetStream(), isInitiator: true, options);
    }

    /// <summary>A listener on 127.0.0.1 with an ephemeral port.</summary>
    public static TcpListener Listen()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return l;
    }

    public static int Port(this TcpListener l) => ((IPEndPoint)l.LocalEndpoint).Port;

    /// <summary>Accepts one connection and wraps it as the responder.</summary>
    public static async Task<ProtocolConnection> AcceptAsync(this TcpListener l, ProtocolConnectionOptions? options = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var socket = await l.AcceptTcpClientAsync(cts.Token);
        socket.NoDelay = true;
        return new ProtocolConnection(socket.GetStream(), isInitiator: false, options);
    }

    public static Task Eventually(Func<bool> condition, string what, TimeSpan? timeout = null) => Poll.UntilAsync(condition, what, timeout ?? Timeout);
}
