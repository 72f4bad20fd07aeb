using System.Security.Cryptography;
using Cabal.Interop.Tests.Dht;
using Cabal.Interop.Tests.Js;
using Cabal.Net.HyperDht;
using Cabal.Net.Swarm;
using static Cabal.Interop.Tests.Udx.UdxTestKit;
using static Cabal.Tests.TestPaths;

namespace Cabal.Interop.Tests.Swarm;

/// <summary>Two C# swarms on a loopback DHT of C# nodes (127.0.0.1, explicit loopback bootstrap).</summary>
[Collection(DhtInteropCollection.Name)]
public class HyperSwarmTests : JsInteropTest
{
    private static readonly TimeSpan Bound = DhtTestnet.Timeout;

    private async Task<(HyperSwarm Swarm, List<HyperDhtConnection> Events)> SwarmAsync(CSharpTestnet testnet)
    {
        var dht = Track(new HyperDht(testnet.Options() with { QuickFirewall = false }));
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);
        var swarm = Track(new HyperSwarm(dht, HyperDhtKeys.KeyPair()));
        var events = new List<HyperDhtConnection>();
        swarm.Connection += c =>
        {
            lock (events) events.Add(c);
            if (!c.IsInitiator) _ = EchoAsync(c);
        };
        return (swarm, events);
    }

    private static List<HyperDhtConnection> Live(List<HyperDhtConnection> events)
    {
        lock (events) return events.Where(c => !c.Closed.IsCompleted).ToList();
    }

    [Fact]
    public async Task TwoSwarmsOnOneTopicGetExactlyOneConnectionAndEcho()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var topic = RandomNumberGenerator.GetBytes(32);
        var (a, aEvents) = await SwarmAsync(testnet);
        var (b, bEvents) = await SwarmAsync(testnet);
        a.Join(topic);
        b.Join(topic);

        await Loopback.Eventually(() => Live(aEvents).Count == 1 && Live(bEvents).Count == 1, "one connection on each side", Bound);
        await Task.Delay(TimeSpan.FromSeconds(2)); // a duplicate, if any, would show up and be dropped by now
        var aLive = Assert.Single(Live(aEvents));
        var bLive = Assert.Single(Live(bEvents));
        Assert.Equal(b.PublicKey, aLive.RemotePublicKey);
        Assert.Equal(a.PublicKey, bLive.RemotePublicKey);
        Assert.NotEqual(aLive.IsInitiator, bLive.IsInitiator);
        Assert.Equal(1, a.Engine.ConnectionCount);
        Assert.Equal(1, b.Engine.ConnectionCount);

        var initiator = aLive.IsInitiator ? aLive : bLive;
        var read = ReadAllAsync(initiator.Input);
        await WritePatternAsync(initiator.Output, 64 << 10);
        Assert.Equal((64L << 10, PatternSha256(64 << 10)), await read.WaitAsync(Bound));
    }

    [Fact]
    public async Task ASwarmFindsAndDialsAJsServerAnnouncedOnTheTopicAndAJsClientReachesTheSwarmsKey()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var topic = RandomNumberGenerator.GetBytes(32);
        var seed = RandomNumberGenerator.GetBytes(32);
        var jsKey = HyperDhtKeys.KeyPair(seed).PublicKey;
        var server = Track(DhtTestnet.Peer(testnet.Bootstrap, "--serve", "--seed", ToHex(seed), "--announce", ToHex(topic), "--mode", "echo", "--timeout", "120"));
        await server.WaitForEventAsync("listening", Bound);

        var (swarm, events) = await SwarmAsync(testnet);
        swarm.Join(topic);
        await Loopback.Eventually(() => Live(events).Any(c => c.IsInitiator && c.RemotePublicKey.AsSpan().SequenceEqual(jsKey)), "a dial to the JS server found on the topic", Bound);
        var dialled = Live(events).Single(c => c.IsInitiator);
        var read = ReadAllAsync(dialled.Input);
        await WritePatternAsync(dialled.Output, 64 << 10);
        Assert.Equal((64L << 10, PatternSha256(64 << 10)), await read.WaitAsync(Bound));

        // The swarm listens on its key: a JS client connecting by that key is echoed.
        var client = Track(DhtTestnet.Peer(testnet.Bootstrap, "--connect", ToHex(swarm.PublicKey), "--mode", "source", "--bytes", "65536", "--timeout", "60"));
        var sent = await client.WaitForEventAsync("sent", Bound);
        var received = await client.WaitForEventAsync("received", Bound);
        Assert.Equal(sent.GetProperty("sha256").GetString(), received.GetProperty("sha256").GetString());
        Assert.Equal(0, await client.WaitForExitAsync(Bound));
    }
}
