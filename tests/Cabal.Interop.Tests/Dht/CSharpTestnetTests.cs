using System.Security.Cryptography;
using Cabal.Interop.Tests.Js;
using Cabal.Net.HyperDht;
using static Cabal.Interop.Tests.Udx.UdxTestKit;
using static Cabal.Tests.TestPaths;

namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// A DHT made only of C# nodes — one bootstrap node and four persistent storage nodes on 127.0.0.1 —
/// on which real JS hyperdht peers announce, look each other up and connect by public key through our
/// relays. Proves the C# node is a full citizen of the network, not just a client.
/// </summary>
[Collection(DhtInteropCollection.Name)]
public class CSharpTestnetTests : JsInteropTest
{
    private static readonly TimeSpan Bound = DhtTestnet.Timeout;

    [Fact]
    public async Task JsPeersAnnounceAndLookUpOnCSharpNodes()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var topic = RandomNumberGenerator.GetBytes(32);
        var seed = RandomNumberGenerator.GetBytes(32);
        var announcer = Track(DhtTestnet.Peer(testnet.Bootstrap, "--announce-only", ToHex(topic), "--seed", ToHex(seed), "--timeout", "120"));
        var announced = await announcer.WaitForEventAsync("announced", Bound);
        Assert.True(announced.GetProperty("nodes").GetInt32() >= 1);

        var lookup = Track(DhtTestnet.Peer(testnet.Bootstrap, "--lookup", ToHex(topic), "--expect", "1", "--timeout", "30"));
        var peer = await lookup.WaitForEventAsync("peer", Bound);
        Assert.Equal(ToHex(HyperDhtKeys.KeyPair(seed).PublicKey), peer.GetProperty("publicKey").GetString());
        Assert.Contains(testnet.Nodes, n => n.Storage!.RecordsFor(topic).Count > 0);

        // A clean exit unannounces: our nodes drop the record and a lookup finds nobody.
        announcer.Terminate();
        Assert.Equal(0, await announcer.WaitForExitAsync(Bound));
        Assert.All(testnet.Nodes, n => Assert.Empty(n.Storage!.RecordsFor(topic)));
        var after = Track(DhtTestnet.Peer(testnet.Bootstrap, "--lookup", ToHex(topic), "--timeout", "30"));
        Assert.Equal(0, (await after.WaitForEventAsync("lookup-done", Bound)).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task JsPeersConnectByPublicKeyThroughCSharpRelays()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var seed = RandomNumberGenerator.GetBytes(32);
        var publicKey = HyperDhtKeys.KeyPair(seed).PublicKey;
        var server = Track(DhtTestnet.Peer(testnet.Bootstrap, "--serve", "--seed", ToHex(seed), "--mode", "echo", "--timeout", "120"));
        await server.WaitForEventAsync("listening", Bound);

        var client = Track(DhtTestnet.Peer(testnet.Bootstrap, "--connect", ToHex(publicKey), "--mode", "source", "--bytes", "262144", "--timeout", "60"));
        var connected = await client.WaitForEventAsync("connected", Bound);
        Assert.Equal(ToHex(publicKey), connected.GetProperty("remotePublicKey").GetString());
        var sent = await client.WaitForEventAsync("sent", Bound);
        var received = await client.WaitForEventAsync("received", Bound);
        Assert.Equal(sent.GetProperty("sha256").GetString(), received.GetProperty("sha256").GetString());
        Assert.Equal(0, await client.WaitForExitAsync(Bound));
        Assert.Contains(testnet.Nodes, n => n.Router.Forwarded > 0);
    }

    [Fact]
    public async Task CSharpAndJsPeersConnectBothWaysThroughCSharpRelays()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var dht = Track(new HyperDht(testnet.Options() with { QuickFirewall = false }));
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);

        // C# client → JS server.
        var seed = RandomNumberGenerator.GetBytes(32);
        var jsServer = Track(DhtTestnet.Peer(testnet.Bootstrap, "--serve", "--seed", ToHex(seed), "--mode", "echo", "--timeout", "120"));
        await jsServer.WaitForEventAsync("listening", Bound);
        await using (var connection = await dht.ConnectAsync(HyperDhtKeys.KeyPair(seed).PublicKey).WaitAsync(Bound))
        {
            var read = ReadAllAsync(connection.Input);
            await WritePatternAsync(connection.Output, 256 << 10);
            Assert.Equal((256L << 10, PatternSha256(256 << 10)), await read.WaitAsync(Bound));
        }

        // JS client → C# server.
        var server = dht.Listen(HyperDhtKeys.KeyPair(), c => _ = EchoAsync(c));
        await Js.Loopback.Eventually(() => server.Relays.Count > 0, "the C# server's self-announce on C# nodes", Bound);
        var jsClient = Track(DhtTestnet.Peer(testnet.Bootstrap, "--connect", ToHex(server.PublicKey), "--mode", "source", "--bytes", "262144", "--timeout", "60"));
        var sent = await jsClient.WaitForEventAsync("sent", Bound);
        var received = await jsClient.WaitForEventAsync("received", Bound);
        Assert.Equal(sent.GetProperty("sha256").GetString(), received.GetProperty("sha256").GetString());
        Assert.Equal(0, await jsClient.WaitForExitAsync(Bound));
        Assert.Equal(1, server.Connections);
        Assert.All(server.Relays, r => Assert.Contains(testnet.Nodes, n => n.Node.ServerAddress == r.RelayAddress));
    }
}
