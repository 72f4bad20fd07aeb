using Cabal.Net.Swarm;
using static Cabal.Net.Tests.Swarm.SwarmTestKit;

namespace Cabal.Net.Tests.Swarm;

/// <summary>Thousands of peers announced on one topic stay bounded: MaxKnownPeers, MaxParallel dials.</summary>
public sealed class SwarmPeerCapTests
{
    private static readonly Key32 Topic = Key(0xAB);

    private static Key32 Peer(int i)
    {
        var bytes = new byte[32];
        BitConverter.TryWriteBytes(bytes, i + 1);
        return new Key32(bytes);
    }

    [Fact]
    public void Five_thousand_peers_found_on_one_topic_keep_at_most_MaxKnownPeers_and_MaxParallel_dials()
    {
        var (engine, _) = Create(options: new SwarmOptions { MaxKnownPeers = 100, MaxParallel = 3 });
        engine.Join(Topic, server: false, client: true);
        engine.TakeActions();
        var added = 0;
        for (var i = 0; i < 5000; i++)
            if (engine.PeerFound(Topic, Peer(i))) added++;

        Assert.Equal(100, added);
        Assert.Equal(100, engine.KnownPeers);
        Assert.Equal(4900, engine.DroppedPeers);
        Assert.Equal(3, engine.Take<DialAction>().Count);
        Assert.Equal(3, engine.Connecting);
        // A peer found again is not new and not counted as dropped.
        Assert.False(engine.PeerFound(Topic, Peer(0)));
        Assert.Equal(4900, engine.DroppedPeers);
    }

    [Fact]
    public void The_default_cap_is_1024()
        => Assert.Equal(1024, new SwarmOptions().MaxKnownPeers);
}
