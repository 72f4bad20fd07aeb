using System.Net;
using Cabal.Net.Discovery;
using Cabal.Net.Tests.Transport;
using Cabal.Tests;

namespace Cabal.Net.Tests.Discovery;

public sealed class DiscoveryEngineTests
{
    private static readonly LanDiscoveryOptions Options = new()
    {
        AnnounceInterval = TimeSpan.FromSeconds(10),
        MinAnnounceInterval = TimeSpan.FromSeconds(1),
        DialGrace = TimeSpan.FromSeconds(15),
        RedialInterval = TimeSpan.FromSeconds(30),
        PeerExpiry = TimeSpan.FromSeconds(60),
    };

    private static readonly byte[] Topic = Key(0x70);
    private static readonly byte[] Small = Key(0x10);
    private static readonly byte[] Large = Key(0x90);
    private static readonly IPAddress Source = IPAddress.Parse("127.0.0.5");

    private static byte[] Key(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    private static DiscoveryPacket Announce(byte[] from, int port = 5000, params byte[][] topics)
        => new(DiscoveryPacketType.Announce, from, port, topics.Length == 0 ? [Topic] : topics);

    private static (DiscoveryEngine Engine, ManualTimeProvider Clock) Create(byte[] me, Func<byte[], bool>? connected = null, LanDiscoveryOptions? options = null)
    {
        var clock = new ManualTimeProvider();
        var engine = new DiscoveryEngine(me, options ?? Options, connected, clock);
        engine.Join(Topic, 4000);
        return (engine, clock);
    }

    [Fact]
    public void JoinQueriesOnceThenAnnouncesPeriodically()
    {
        var (engine, clock) = Create(Small);
        var first = Assert.Single(engine.TakeDue());
        Assert.Equal(DiscoveryPacketType.Query, first.Type);
        Assert.Equal(4000, first.Port);
        Assert.Equal(Small, first.PeerId);
        Assert.Equal([Topic], first.Topics);

        Assert.Empty(engine.TakeDue());
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(engine.TakeDue());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(DiscoveryPacketType.Announce, Assert.Single(engine.TakeDue()).Type);
        Assert.Empty(engine.TakeDue());

        Assert.True(engine.Leave(Topic));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(engine.TakeDue());
    }

    [Fact]
    public void QueriesAreAnsweredButRateLimited()
    {
        var (engine, clock) = Create(Small);
        engine.TakeDue();
        clock.Advance(TimeSpan.FromSeconds(2));
        var query = new DiscoveryPacket(DiscoveryPacketType.Query, Large, 0, [Topic]);
        for (var i = 0; i < 100; i++) engine.Receive(query, Source);
        Assert.Equal(DiscoveryPacketType.Announce, Assert.Single(engine.TakeDue()).Type);

        // A flood right after: nothing until MinAnnounceInterval has passed, then one reply.
        for (var i = 0; i < 100; i++) engine.Receive(query, Source);
        Assert.Empty(engine.TakeDue());
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Empty(engine.TakeDue());
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Single(engine.TakeDue());
        Assert.Empty(engine.TakeDue());
    }

    [Fact]
    public void TheSmallerIdDialsAtOnceAndOnlyOncePerRedialInterval()
    {
        var (engine, clock) = Create(Small);
        var peer = Assert.Single(engine.Receive(Announce(Large), Source));
        Assert.Equal(new IPEndPoint(Source, 5000), peer.EndPoint);
        Assert.Equal(Large, peer.PeerId);
        Assert.Equal(Topic, peer.Topic);

        Assert.Empty(engine.Receive(Announce(Large), Source));
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Single(engine.Receive(Announce(Large), Source));
    }

    [Fact]
    public void TheLargerIdWaitsForTheGracePeriod()
    {
        var (engine, clock) = Create(Large);
        Assert.Empty(engine.Receive(Announce(Small), Source));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(engine.Receive(Announce(Small), Source));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Single(engine.Receive(Announce(Small), Source));
    }

    [Fact]
    public void ConnectedPeersAreNotReported()
    {
        var connected = true;
        var (engine, clock) = Create(Small, _ => connected);
        Assert.Empty(engine.Receive(Announce(Large), Source));
        connected = false;
        Assert.Single(engine.Receive(Announce(Large), Source));
    }

    [Fact]
    public void IgnoresOurselvesOtherTopicsPortlessQueriesAndNonUnicastSources()
    {
        var (engine, _) = Create(Small);
        Assert.Empty(engine.Receive(Announce(Small), Source));
        Assert.Empty(engine.Receive(Announce(Large, 5000, Key(0x71)), Source));
        Assert.Empty(engine.Receive(new DiscoveryPacket(DiscoveryPacketType.Query, Large, 0, [Topic]), Source));
        foreach (var bad in new[] { IPAddress.Any, IPAddress.Broadcast, IPAddress.Parse("239.255.67.66"), IPAddress.IPv6Loopback })
            Assert.Empty(engine.Receive(Announce(Large), bad));
        // A query with a port is also an announcement.
        Assert.Single(engine.Receive(new DiscoveryPacket(DiscoveryPacketType.Query, Large, 6000, [Topic]), IPAddress.Parse("::ffff:127.0.0.9")));
    }

    [Fact]
    public void AMovedPeerIsANewSighting()
    {
        var (engine, _) = Create(Small);
        Assert.Single(engine.Receive(Announce(Large, 5000), Source));
        var moved = Assert.Single(engine.Receive(Announce(Large, 5001), Source));
        Assert.Equal(5001, moved.EndPoint.Port);
    }

    [Fact]
    public void TrackedPeersAreBounded()
    {
        var (engine, clock) = Create(Key(0x01), options: Options with { MaxTrackedPeers = 3 });
        var reported = 0;
        for (byte i = 2; i < 50; i++) reported += engine.Receive(Announce(Key(i)), Source).Count;
        Assert.Equal(3, reported);

        // Expired entries make room again.
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Single(engine.Receive(Announce(Key(0x60)), Source));
    }

    [Fact]
    public void ManyTopicsAreSplitAcrossPackets()
    {
        var clock = new ManualTimeProvider();
        var engine = new DiscoveryEngine(Small, Options, null, clock);
        for (byte i = 0; i < 20; i++) engine.Join(Key(i), 4000);
        var packets = engine.TakeDue();
        Assert.Equal([16, 4], packets.Select(p => p.Topics.Count));
        Assert.All(packets, p => DiscoveryCodec.Encode(p));
    }
}
