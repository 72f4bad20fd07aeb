using Cabal.Net.Compact;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht;

namespace Cabal.Net.Tests.HyperDht;

/// <summary>Record expiry and caps, and what ephemeral and persistent nodes answer.</summary>
public class StorageTests
{
    private static byte[] Record(int i) => new PeerRecord(Enumerable.Repeat((byte)i, 32).ToArray(), []).Encode();

    [Fact]
    public void RecordsLiveTwoThirdsToFourThirdsOfMaxAgeAfterTheLastAnnounce()
    {
        var cache = new RecordCache(1000, 100, TimeSpan.FromMinutes(20), new Random(1));
        cache.Add("t", "a", Record(1));
        cache.Sweep(TimeSpan.FromMinutes(13));
        Assert.Single(cache.Get("t", 20));
        cache.Sweep(TimeSpan.FromMinutes(1));       // 14 min: first sweep (at 13.33), a is stale
        Assert.Single(cache.Get("t", 20));
        cache.Add("t", "a", Record(1));             // re-announce: fresh again
        cache.Sweep(TimeSpan.FromMinutes(13.4));    // second sweep: a (fresh) becomes stale, survives
        Assert.Single(cache.Get("t", 20));
        cache.Sweep(TimeSpan.FromMinutes(13.4));    // third sweep without re-announce: gone
        Assert.Empty(cache.Get("t", 20));
    }

    [Fact]
    public void TopicsAreCappedAndLookupsPickAtMostN()
    {
        var cache = new RecordCache(100_000, 30, TimeSpan.FromMinutes(20), new Random(1));
        for (var i = 0; i < 50; i++) cache.Add("t", "k" + i, Record(i));
        Assert.Equal(30, cache.CountFor("t"));
        Assert.Equal(20, cache.Refused);
        Assert.Equal(20, cache.Get("t", 20).Count);
        Assert.Equal(20, cache.Get("t", 20).Select(Convert.ToHexString).Distinct().Count());
        Assert.True(cache.Add("t", "k3", Record(99)), "known keys still refresh");
        // Once records go stale, a full topic makes room by dropping stale ones.
        cache.Sweep(TimeSpan.FromMinutes(14));
        Assert.True(cache.Add("t", "new", Record(100)));
        Assert.Equal(30, cache.CountFor("t"));
    }

    [Fact]
    public void RoutesReadBackAreRefreshedAndOwnRoutesNeverExpire()
    {
        var cache = new GenerationalCache<string, int>(100, TimeSpan.FromMinutes(20));
        cache.Set("read", 1);
        cache.Set("idle", 2);
        cache.Retain("mine", 3);
        cache.Set("mine", 4);
        cache.Sweep(TimeSpan.FromMinutes(14));
        Assert.True(cache.TryGet("read", out _));
        cache.Sweep(TimeSpan.FromMinutes(14));
        Assert.True(cache.TryGet("read", out _));
        Assert.False(cache.TryGet("idle", out _));
        Assert.True(cache.TryGet("mine", out var v));
        Assert.Equal(3, v);
    }

    [Fact]
    public async Task EphemeralNodesDeclineStorageCommandsAndPersistentOnesAnswer()
    {
        await using var net = await MemoryTestnet.StartAsync(persistent: 2);
        var ephemeral = await net.AddNodeAsync();
        var asker = await net.AddNodeAsync();
        var topic = new byte[32];
        var fromEphemeral = await asker.Node.RequestAsync(ephemeral.Node.ServerAddress, new DhtRequestOptions { Command = HyperDhtCommand.Lookup, Target = topic }).WaitAsync(MemoryTestnet.Bound);
        Assert.Equal(DhtErrorCode.UnknownCommand, fromEphemeral.Error);
        var fromPersistent = await asker.Node.RequestAsync(net.Nodes[1].Node.ServerAddress, new DhtRequestOptions { Command = HyperDhtCommand.Lookup, Target = topic }).WaitAsync(MemoryTestnet.Bound);
        Assert.Equal(DhtErrorCode.None, fromPersistent.Error);
        Assert.NotNull(fromPersistent.Token);
        Assert.NotNull(fromPersistent.FromId);
    }

    [Fact]
    public async Task AnnouncedRelayAddressesAreCutToThree()
    {
        await using var net = await MemoryTestnet.StartAsync(persistent: 3);
        var client = await net.AddNodeAsync();
        var topic = Enumerable.Repeat((byte)9, 32).ToArray();
        var keys = HyperDhtKeys.KeyPair();
        var relays = Enumerable.Range(1, 6).Select(Ipv4EndPoint.Loopback).ToList();
        var result = await client.AnnounceAsync(topic, keys, relays).WaitAsync(MemoryTestnet.Bound);
        Assert.NotEmpty(result.Nodes);
        var found = Assert.Single((await client.LookupAsync(topic).WaitAsync(MemoryTestnet.Bound)).Peers);
        Assert.Equal(relays.Take(3), found.RelayAddresses);
        Assert.Equal(1, await client.UnannounceAsync(topic, keys).WaitAsync(MemoryTestnet.Bound) > 0 ? 1 : 0);
        Assert.Empty((await client.LookupAsync(topic).WaitAsync(MemoryTestnet.Bound)).Peers);
    }
}
