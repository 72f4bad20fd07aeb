using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Crypto;
using Cabal.Net.Discovery;
using Cabal.Net.Tests;
using Cabal.Net.Transport;
using Cabal.Tests;
using static Cabal.Interop.Tests.Net.Transport.TransportTestKit;
using static Cabal.Net.Tests.TestKit;

namespace Cabal.Interop.Tests.Net.Discovery;

// LAN discovery on the real multicast socket, confined to this host: group joined and sent on
// 127.0.0.1, TTL 0, loopback on. Nothing is sent to any unicast address other than 127.0.0.1. The
// discovery logic with its loops over an in-memory hub is in Cabal.Net.Tests (LanDiscoveryTests).
public sealed class LanDiscoveryLoopbackTests
{
    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [Fact]
    public async Task TwoInstancesFindEachOtherOverLoopbackMulticast()
    {
        var port = FreeUdpPort();
        var (small, large) = OrderedKeys();
        using var sniffer = JoinGroup(port);
        await using var a = new LanDiscovery(small.PublicKey, FastLan(port));
        await using var b = new LanDiscovery(large.PublicKey, FastLan(port));
        var foundByA = new ConcurrentQueue<DiscoveredPeer>();
        a.PeerDiscovered += foundByA.Enqueue;
        a.JoinCabal(LanCabalKey, 1111);
        b.JoinCabal(LanCabalKey, 2222);
        a.Start();
        b.Start();

        Assert.True(await EventuallyAsync(() => !foundByA.IsEmpty));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 2222), foundByA.First().EndPoint);

        // What went on the wire: valid packets carrying the discovery key, not the cabal key.
        var buffer = new byte[2048];
        using var cts = new CancellationTokenSource(TestKit.Timeout);
        var r = await sniffer.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        var datagram = buffer.AsSpan(0, r.ReceivedBytes);
        Assert.True(DiscoveryCodec.TryDecode(datagram, out var packet));
        Assert.Equal(HypercoreCrypto.DiscoveryKey(LanCabalKey), Assert.Single(packet!.Topics));
        Assert.Equal(-1, datagram.IndexOf(LanCabalKey));
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)r.RemoteEndPoint).Address);
    }

    [Fact]
    public async Task DiscoveryConnectsTwoManagersExactlyOnce()
    {
        var port = FreeUdpPort();
        var log = new TestLogger();
        await using var ma = new ConnectionManager(FastOptions(log), _ => { });
        await using var mb = new ConnectionManager(FastOptions(log), _ => { });
        ma.Start();
        mb.Start();
        await using var da = LanDiscovery.ForManager(ma, FastLan(port));
        await using var db = LanDiscovery.ForManager(mb, FastLan(port));
        da.JoinCabal(LanCabalKey, ma.ListenPort);
        db.JoinCabal(LanCabalKey, mb.ListenPort);
        da.Start();
        db.Start();

        Assert.True(await EventuallyAsync(() => ma.ConnectionCount == 1 && mb.ConnectionCount == 1), log.ToString());
        // Past the grace period the connection is still the only one, and it was dialled by the smaller key.
        await Task.Delay(800);
        Assert.Equal(1, ma.ConnectionCount);
        Assert.Equal(1, mb.ConnectionCount);
        var (dialler, other) = ma.LocalStaticKey.AsSpan().SequenceCompareTo(mb.LocalStaticKey) < 0 ? (ma, mb) : (mb, ma);
        Assert.True(dialler.Connections[0].IsInitiator);
        Assert.Empty(other.Peers);
    }

    [Fact]
    public async Task ADifferentCabalIsIgnored()
    {
        var port = FreeUdpPort();
        await using var a = new LanDiscovery(NoiseKeyPair.Generate().PublicKey, FastLan(port));
        await using var b = new LanDiscovery(NoiseKeyPair.Generate().PublicKey, FastLan(port));
        var found = 0;
        a.PeerDiscovered += _ => Interlocked.Increment(ref found);
        b.PeerDiscovered += _ => Interlocked.Increment(ref found);
        a.JoinCabal(LanCabalKey, 1111);
        b.JoinCabal(TestKit.FeedKey(3), 2222);
        a.Start();
        b.Start();
        await Task.Delay(800);
        Assert.Equal(0, Volatile.Read(ref found));
    }

    /// <summary>A plain socket on the group (127.0.0.1 interface) that only listens.</summary>
    private static Socket JoinGroup(int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(new IPEndPoint(IPAddress.Any, port));
        s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(new LanDiscoveryOptions().MulticastGroup, IPAddress.Loopback));
        return s;
    }
}
