using System.Diagnostics;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Interop.Tests.Dht;
using Cabal.Interop.Tests.Js;
using Cabal.Net.Swarm;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Swarm;

/// <summary>Two C# nodes on one loopback JS testnet, finding each other through the DHT only.</summary>
[Collection(DhtInteropCollection.Name)]
public class CabalNodeSwarmTests(SwarmTestnetFixture testnet) : IClassFixture<SwarmTestnetFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    // A shortened refresh, documented here: hyperswarm refreshes every 10 min (+ up to 2 min jitter); the
    // test uses 15 s and no jitter so that "within one refresh interval" is a bound a test can wait for.
    private static readonly SwarmOptions ShortRefresh = new() { RefreshInterval = TimeSpan.FromSeconds(15), RefreshJitter = TimeSpan.Zero };

    private async Task<(CabalNode Node, Cabal.Chat.CabalCore Cabal)> StartAsync(string dir, CabalUrl url)
    {
        var node = await CabalNode.OpenAsync(new NodeOptions { Paths = new DataPaths(dir) });
        var cabal = await node.OpenCabalAsync(url);
        await node.StartNetworkAsync(SwarmTestnetFixture.Network(testnet.Bootstrap, ShortRefresh));
        return (node, cabal);
    }

    [Fact]
    public async Task A_peer_restarted_on_another_port_is_found_again_within_one_refresh_interval()
    {
        using var dir = new TempDir();
        var url = CabalUrl.Generate();
        var (a, aCabal) = await StartAsync(dir.Sub("a"), url);
        await using var aLease = a;
        var (b, _) = await StartAsync(dir.Sub("b"), url);
        try
        {
            await Loopback.Eventually(() => a.ConnectedPeerCount(aCabal) == 1, "a and b connected through the DHT", Bound);
            Assert.Equal(1, a.ConnectedPeersBySource(aCabal)[PeerSource.Dht]);
            var oldPort = b.Dht!.Node.ServerAddress.Port;
            await b.DisposeAsync();
            await Loopback.Eventually(() => a.ConnectedPeerCount(aCabal) == 0, "a saw b leave", Bound);

            var restarted = Stopwatch.StartNew();
            (b, _) = await StartAsync(dir.Sub("b"), url);
            Assert.NotEqual(oldPort, b.Dht!.Node.ServerAddress.Port);
            await Loopback.Eventually(() => a.ConnectedPeerCount(aCabal) == 1, "a found b again", ShortRefresh.RefreshInterval + ShortRefresh.RefreshJitter);
            Assert.InRange(restarted.Elapsed, TimeSpan.Zero, ShortRefresh.RefreshInterval + ShortRefresh.RefreshJitter);
        }
        finally
        {
            await b.DisposeAsync();
        }
    }
}

/// <summary>Bad networks: a bootstrap node that never answers is bounded, reported and never blocks the caller.</summary>
public class SwarmBadNetworkTests
{
    [Fact]
    public async Task An_unreachable_bootstrap_node_is_reported_and_neither_start_nor_close_block()
    {
        using var dir = new TempDir();
        var node = await CabalNode.OpenAsync(new NodeOptions { Paths = new DataPaths(dir.Path) });
        var cabal = await node.OpenCabalAsync(CabalUrl.Generate());
        var started = Stopwatch.StartNew();
        // 127.0.0.1 on a port nothing listens on: requests go unanswered (or ICMP-refused) and time out.
        await node.StartNetworkAsync(SwarmTestnetFixture.Network("127.0.0.1:" + LoopbackTcp.ClosedPort()));
        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Contains(node.DhtState().State, new[] { DhtStatus.Bootstrapping, DhtStatus.NoBootstrap });

        await Loopback.Eventually(() => node.DhtState().State == DhtStatus.NoBootstrap, "no bootstrap node answered", TimeSpan.FromSeconds(60));
        Assert.Equal("DHT: no bootstrap node answers", node.DhtState().Summary);
        Assert.Equal(0, node.ConnectedPeerCount(cabal));

        var closing = Stopwatch.StartNew();
        await node.DisposeAsync();
        Assert.InRange(closing.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task With_the_dht_off_no_socket_is_bound_and_the_state_says_off()
    {
        using var dir = new TempDir();
        await using var node = await CabalNode.OpenAsync(new NodeOptions { Paths = new DataPaths(dir.Path) });
        await node.OpenCabalAsync(CabalUrl.Generate());
        await node.StartNetworkAsync(new NetworkOptions { Dht = DhtSettings.Off });
        Assert.Null(node.Dht);
        Assert.Equal(DhtStatus.Off, node.DhtState().State);
    }
}
