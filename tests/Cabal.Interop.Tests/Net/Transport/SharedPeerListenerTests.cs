using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Cabal.Net;
using Cabal.Net.Crypto;
using Cabal.Net.Protocol.Messages;
using Cabal.Net.Tests;
using Cabal.Net.Transport;
using Cabal.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Cabal.Interop.Tests.Net.Transport.TransportTestKit;

namespace Cabal.Interop.Tests.Net.Transport;

// One port for several managers: a connection goes to the manager of the feed the remote opens first.
// Loopback only; every wait is bounded; listeners and managers are disposed.
public sealed class SharedPeerListenerTests
{
    private static readonly byte[] K1 = TestKit.FeedKey(1), K2 = TestKit.FeedKey(2), K3 = TestKit.FeedKey(3);

    private static SharedPeerListener Listen(NoiseKeyPair key, TimeSpan? routeTimeout = null, TestLogger? log = null) => SharedPeerListener.Start(new SharedPeerListenerOptions
    {
        StaticKeyPair = key,
        EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        RouteTimeout = routeTimeout ?? TimeSpan.FromSeconds(3),
        ShutdownTimeout = TimeSpan.FromSeconds(3),
        LoggerFactory = (ILoggerFactory?)log ?? NullLoggerFactory.Instance,
    });

    private static ConnectionManagerOptions Routed(SharedPeerListener listener, NoiseKeyPair key, byte[] routeKey, TestLogger? log = null)
        => FastOptions(log, key) with { ListenEndPoint = null, SharedListener = listener, RouteKey = routeKey };

    /// <summary>A dial-only manager whose connections open <paramref name="feed"/> and send a Status right behind the Open.</summary>
    private static ConnectionManager Dialer(byte[] feed, ConcurrentQueue<ProtocolChannel> opened)
        => new(FastOptions() with { ListenEndPoint = null }, pc =>
        {
            var channel = pc.Connection.OpenChannel(feed);
            channel.Send(new Status { Uploading = true, Downloading = false });
            opened.Enqueue(channel);
        });

    [Fact]
    public async Task EachConnectionGoesToTheManagerOfTheFeedItOpensFirst()
    {
        var key = NoiseKeyPair.Generate();
        await using var listener = Listen(key);
        ConcurrentQueue<ProtocolChannel> at1 = new(), at2 = new(), from1 = new(), from2 = new();
        await using var m1 = new ConnectionManager(Routed(listener, key, K1), pc => at1.Enqueue(pc.Connection.OpenChannel(K1)));
        await using var m2 = new ConnectionManager(Routed(listener, key, K2), pc => at2.Enqueue(pc.Connection.OpenChannel(K2)));
        m1.Start();
        m2.Start();
        Assert.Equal(listener.Port, m1.ListenPort);
        Assert.Equal(listener.Port, m2.ListenPort);

        await using var d1 = Dialer(K1, from1);
        await using var d2 = Dialer(K2, from2);
        d1.Start();
        d2.Start();
        d1.AddPeer(Loopback(listener.Port));
        d2.AddPeer(Loopback(listener.Port));
        Assert.True(await EventuallyAsync(() => m1.ConnectionCount == 1 && m2.ConnectionCount == 1 && d1.ConnectionCount == 1 && d2.ConnectionCount == 1));

        foreach (var (routed, dialled, remote) in new[] { (at1, from1, d1), (at2, from2, d2) })
        {
            var theirs = Assert.Single(routed);
            var ours = Assert.Single(dialled);
            Assert.Equal(ours.DiscoveryKey.ToArray(), theirs.DiscoveryKey.ToArray());
            Assert.True(await ours.RemoteOpened.Within());
            Assert.True(await theirs.RemoteOpened.Within());
            // The Status sent right behind the Open, before the listener could route the connection,
            // is not lost: the manager's callback accepted the channel while the Open was processed.
            var status = Assert.IsType<Status>(await theirs.NextAsync());
            Assert.True(status.Uploading);
            Assert.Equal(key.PublicKey, Assert.Single(remote.Connections).RemoteStaticKey?.ToArray());
        }
        Assert.Equal(0, listener.UnroutedCount);
        Assert.True(await EventuallyAsync(() => listener.PendingCount == 0));
    }

    [Fact]
    public async Task AnOpenForNothingServedClosesThatConnectionOnly()
    {
        var key = NoiseKeyPair.Generate();
        var log = new TestLogger();
        await using var listener = Listen(key, log: log);
        await using var m1 = new ConnectionManager(Routed(listener, key, K1), pc => pc.Connection.OpenChannel(K1));
        m1.Start();
        ConcurrentQueue<ProtocolChannel> good = new(), stray = new();
        await using var served = Dialer(K1, good);
        served.Start();
        served.AddPeer(Loopback(listener.Port));
        Assert.True(await EventuallyAsync(() => m1.ConnectionCount == 1));

        // A remote that opens a feed nobody here serves: its channel is declined and the connection closed.
        var options = FastOptions() with { ListenEndPoint = null, ReconnectDelay = TimeSpan.FromSeconds(30) };
        await using var unknown = new ConnectionManager(options, pc => stray.Enqueue(pc.Connection.OpenChannel(K3)));
        unknown.Start();
        unknown.AddPeer(Loopback(listener.Port));
        Assert.True(await EventuallyAsync(() => listener.UnroutedCount == 1 && stray.TryPeek(out var c) && c.Connection.IsEnded), log.ToString());
        Assert.Contains("is for nothing this listener serves", log.ToString());

        // The served connection and the listener carry on.
        Assert.Equal(1, m1.ConnectionCount);
        Assert.False(Assert.Single(good).Connection.IsEnded);
        await using var another = Dialer(K1, good);
        another.Start();
        another.AddPeer(Loopback(listener.Port));
        Assert.True(await EventuallyAsync(() => m1.ConnectionCount == 2));
    }

    [Fact]
    public async Task AConnectionThatNeverOpensAFeedIsClosedAfterTheRouteTimeout()
    {
        await using var listener = Listen(NoiseKeyPair.Generate(), TimeSpan.FromMilliseconds(300));
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        Assert.True(await EventuallyAsync(() => listener.PendingCount == 1));

        // The listener hangs up: the read sees the end of the stream (or a reset).
        var buffer = new byte[256];
        int read;
        try { read = await silent.GetStream().ReadAsync(buffer).AsTask().Within(); }
        catch (IOException) { read = 0; }
        Assert.Equal(0, read);
        Assert.True(await EventuallyAsync(() => listener.PendingCount == 0));
    }

    [Fact]
    public async Task RoutesNeedTheListenersKeyAreUniqueAndLeaveWithTheirManager()
    {
        var key = NoiseKeyPair.Generate();
        await using var listener = Listen(key);
        Assert.Throws<ArgumentException>(() => new ConnectionManager(Routed(listener, NoiseKeyPair.Generate(), K1), _ => { }));
        Assert.Throws<ArgumentException>(() => new ConnectionManager(Routed(listener, key, K1) with { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, _ => { }));
        Assert.Throws<ArgumentException>(() => new ConnectionManager(Routed(listener, key, [1, 2, 3]), _ => { }));

        var m1 = new ConnectionManager(Routed(listener, key, K1), pc => pc.Connection.OpenChannel(K1));
        m1.Start();
        await using (var twin = new ConnectionManager(Routed(listener, key, K1), _ => { }))
            Assert.Throws<InvalidOperationException>(twin.Start);

        // Once its manager is gone, a feed is no longer served here.
        await m1.DisposeAsync();
        ConcurrentQueue<ProtocolChannel> opened = new();
        await using var dialer = Dialer(K1, opened);
        dialer.Start();
        dialer.AddPeer(Loopback(listener.Port));
        Assert.True(await EventuallyAsync(() => listener.UnroutedCount >= 1));
    }
}
