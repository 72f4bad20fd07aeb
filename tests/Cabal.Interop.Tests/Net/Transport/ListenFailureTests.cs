using System.Net;
using System.Net.Sockets;
using Cabal.Net.Crypto;
using Cabal.Net.Transport;
using static Cabal.Interop.Tests.Net.Transport.TransportTestKit;

namespace Cabal.Interop.Tests.Net.Transport;

// A busy port is a typed error before anything starts (the parsing half is in the pure tier's ListenPortTests).
public sealed class ListenFailureTests
{
    [Fact]
    public void ABusyPortIsAPortInUseErrorNamingTheEndpoint()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var e = Assert.Throws<ListenFailedException>(() => TcpPeerListener.Start(new IPEndPoint(IPAddress.Loopback, port)));
        Assert.Equal(ListenFailure.PortInUse, e.Reason);
        Assert.Equal(port, e.Port);
        Assert.Equal($"Cannot listen on TCP 127.0.0.1:{port}: the port is already in use.", e.Message);
        Assert.IsType<SocketException>(e.InnerException);
    }

    [Fact]
    public void ASharedListenerOnABusyPortFailsTyped()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var e = Assert.Throws<ListenFailedException>(() => SharedPeerListener.Start(new SharedPeerListenerOptions
        {
            StaticKeyPair = NoiseKeyPair.Generate(),
            EndPoint = new IPEndPoint(IPAddress.Loopback, port),
        }));
        Assert.Equal(ListenFailure.PortInUse, e.Reason);
    }

    [Fact]
    public async Task AConnectionManagerOnABusyPortStartsNothingAndCanStillBeDisposed()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        var manager = new ConnectionManager(FastOptions() with { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, port) }, _ => { });
        manager.AddPeer(Loopback(((IPEndPoint)target.LocalEndpoint).Port));
        Assert.Throws<ListenFailedException>(manager.Start);
        Assert.Equal(0, manager.ListenPort);
        await Task.Delay(300);
        Assert.False(target.Pending()); // nothing was dialled: the failed start had no side effect
        busy.Stop();
        manager.Start(); // and it can be started once the port is free
        Assert.Equal(port, manager.ListenPort);
        await manager.DisposeAsync();
    }
}
