using System.Net;
using System.Net.Sockets;

namespace Cabal.Tests;

/// <summary>TCP socket pairs on 127.0.0.1 (never another address), with every wait bounded.</summary>
public static class LoopbackTcp
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A loopback port that nothing listens on (bound once, then released).</summary>
    public static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>A connected pair: the dialling end and the accepted end, both with Nagle off.</summary>
    public static async Task<(NetworkStream Client, NetworkStream Server)> PairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        var accept = listener.AcceptTcpClientAsync();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port).WaitAsync(Timeout);
        var server = await accept.WaitAsync(Timeout);
        server.NoDelay = true;
        return (client.GetStream(), server.GetStream());
    }
}
