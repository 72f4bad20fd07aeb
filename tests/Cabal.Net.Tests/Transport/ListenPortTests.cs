using System.Net;
using System.Net.Sockets;
using Cabal.Net.Crypto;
using Cabal.Net.Transport;
using static Cabal.Net.Tests.Transport.TransportTestKit;

namespace Cabal.Net.Tests.Transport;

// A busy or impossible port is a clear, typed error before anything starts: the program maps it to a
// one-line message and an exit code, instead of a stack trace after having published or created files.
public sealed class ListenPortTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("4000", 4000)]
    [InlineData(" 65535 ", 65535)]
    public void PortsZeroTo65535Parse(string text, int expected)
    {
        Assert.True(ListenPort.TryParse(text, out var port, out var error), error);
        Assert.Equal(expected, port);
    }

    [Theory]
    [InlineData("99999", "out of range")]
    [InlineData("65536", "out of range")]
    [InlineData("-5", "not a port number")]
    [InlineData("+5", "not a port number")]
    [InlineData("80a", "not a port number")]
    [InlineData("", "empty")]
    [InlineData(null, "empty")]
    [InlineData("99999999999999999999", "not a port number")]
    public void AnythingElseIsRefusedWithAReason(string? text, string reason)
    {
        Assert.False(ListenPort.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
        Assert.DoesNotContain("\n", error);
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(99999)]
    public void OutOfRangePortsAreTypedErrors(int port)
    {
        var e = Assert.Throws<InvalidPortException>(() => ListenPort.OnAnyInterface(port));
        Assert.Equal(port, e.Port);
        Assert.Contains("0 (any free port) to 65535", e.Message);
        Assert.IsAssignableFrom<ArgumentOutOfRangeException>(e);
    }

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
