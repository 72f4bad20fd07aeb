using System.Security.Cryptography;
using Cabal.Interop.Tests.Js;
using Cabal.Net.HyperDht;
using static Cabal.Tests.TestPaths;

namespace Cabal.Interop.Tests.Dht;

/// <summary>C# HyperDHT nodes against real JS ones on a loopback testnet: lookups and announcements both ways, unannounce.</summary>
[Collection(DhtInteropCollection.Name)]
public class HyperDhtInteropTests : JsInteropTest
{
    private static readonly TimeSpan Bound = DhtTestnet.Timeout;

    [Fact]
    public async Task CSharpLookupFindsAJsAnnouncement()
    {
        var testnet = Track(await DhtTestnet.StartAsync());
        var topic = RandomNumberGenerator.GetBytes(32);
        var seed = RandomNumberGenerator.GetBytes(32);
        var js = Track(testnet.Peer("--announce-only", ToHex(topic), "--seed", ToHex(seed), "--timeout", "120"));
        await js.WaitForEventAsync("announced", Bound);

        await using var dht = new HyperDht(testnet.Options());
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);
        var expected = HyperDhtKeys.KeyPair(seed).PublicKey;
        var result = await dht.LookupAsync(topic).WaitAsync(Bound);
        Assert.Contains(result.Peers, p => p.PublicKey.AsSpan().SequenceEqual(expected));
        Assert.Equal(0, dht.Node.Stats.DroppedMalformed);
    }

    [Fact]
    public async Task JsLookupFindsACSharpAnnouncementUntilItIsUnannounced()
    {
        var testnet = Track(await DhtTestnet.StartAsync());
        var topic = RandomNumberGenerator.GetBytes(32);
        var keyPair = HyperDhtKeys.KeyPair();

        await using var dht = new HyperDht(testnet.Options());
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);
        var announced = await dht.AnnounceAsync(topic, keyPair).WaitAsync(Bound);
        Assert.NotEmpty(announced.Nodes);

        var lookup = Track(testnet.Peer("--lookup", ToHex(topic), "--expect", "1", "--timeout", "30"));
        var peer = await lookup.WaitForEventAsync("peer", Bound);
        Assert.Equal(ToHex(keyPair.PublicKey), peer.GetProperty("publicKey").GetString());
        Assert.Equal(0, await lookup.WaitForExitAsync(Bound));

        var removed = await dht.UnannounceAsync(topic, keyPair).WaitAsync(Bound);
        Assert.True(removed >= 1, "at least one node confirmed the unannounce");
        var after = Track(testnet.Peer("--lookup", ToHex(topic), "--timeout", "30"));
        var done = await after.WaitForEventAsync("lookup-done", Bound);
        Assert.Equal(0, done.GetProperty("count").GetInt32());
        Assert.Empty((await dht.LookupAsync(topic).WaitAsync(Bound)).Peers);
    }
}
