using System.Net;
using Cabal.Net.Crypto;
using Cabal.Net;
using Cabal.Net.Tests;
using Cabal.Net.Transport;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Net.Transport;

public sealed class TcpTransportTests
{
    [Fact]
    public async Task ListenerAndDialerHandshakeOnLoopback()
    {
        var serverKey = NoiseKeyPair.Generate();
        var clientKey = NoiseKeyPair.Generate();
        using var listener = TcpPeerListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.NotEqual(0, listener.Port);

        var accepting = listener.AcceptAsync(new ProtocolConnectionOptions { StaticKeyPair = serverKey });
        var client = await TcpDialer.DialAsync(TransportTestKit.Loopback(listener.Port), new ProtocolConnectionOptions { StaticKeyPair = clientKey }).Within();
        var server = await accepting.Within();
        await using var c = client.Connection;
        await using var s = server.Connection;

        Assert.True(client.IsInitiator);
        Assert.False(server.IsInitiator);
        Assert.Equal(TransportTestKit.Loopback(listener.Port), client.Address);
        Assert.Null(server.Address);
        Assert.Equal(IPAddress.Loopback, server.RemoteEndPoint.Address);

        c.Start();
        s.Start();
        Assert.True(await c.HandshakeCompleted.Within());
        Assert.True(await s.HandshakeCompleted.Within());
        Assert.Equal(serverKey.PublicKey, client.RemoteStaticKey?.ToArray());
        Assert.Equal(clientKey.PublicKey, server.RemoteStaticKey?.ToArray());
        Assert.Equal(c.HandshakeHash?.ToArray(), s.HandshakeHash?.ToArray());

        // The byte stream works end to end: a feed opened on both sides becomes open both ways.
        var feed = TestKit.FeedKey(7);
        var cc = c.OpenChannel(feed);
        var sc = s.OpenChannel(feed);
        Assert.True(await cc.RemoteOpened.Within());
        Assert.True(await sc.RemoteOpened.Within());
    }

    [Fact]
    public async Task DialingAClosedPortFailsFast()
    {
        var port = TransportTestKit.FreePort();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => TcpDialer.DialAsync(TransportTestKit.Loopback(port)).Within());
    }
}
