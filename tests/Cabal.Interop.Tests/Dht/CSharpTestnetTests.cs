using System.Net;
using System.Security.Cryptography;
using Cabal.Interop.Tests.Js;
using Cabal.Net.HyperDht;
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

    private sealed class Testnet(List<HyperDht> nodes) : IAsyncDisposable
    {
        public List<HyperDht> Nodes { get; } = nodes;
        public string Bootstrap => "127.0.0.1:" + Nodes[0].Node.ServerAddress.Port;

        public async ValueTask DisposeAsync()
        {
            foreach (var n in Nodes) await n.DisposeAsync();
        }
    }

    private static async Task<Testnet> StartTestnetAsync(int size)
    {
        var first = new HyperDht(new HyperDhtOptions { Host = IPAddress.Loopback, Port = 0, Bootstrap = [], IsBootstrapNode = true });
        var nodes = new List<HyperDht> { first };
        var testnet = new Testnet(nodes);
        try
        {
            await first.StartAsync();
            await first.WaitReadyAsync().WaitAsync(Bound);
            Assert.False(first.Node.Ephemeral);
            for (var i = 1; i < size; i++)
            {
                var node = new HyperDht(DhtTestnet.Options(testnet.Bootstrap, ephemeral: false));
                nodes.Add(node);
                await node.StartAsync();
            }
            foreach (var n in nodes) await n.WaitReadyAsync().WaitAsync(Bound);
            Assert.All(nodes, n => Assert.False(n.Node.Ephemeral, "every C# testnet node became persistent"));
            Assert.All(nodes, n => Assert.NotNull(n.Storage));
            return testnet;
        }
        catch
        {
            await testnet.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task JsPeersAnnounceAndLookUpOnCSharpNodes()
    {
        var testnet = Track(await StartTestnetAsync(5));
        var topic = RandomNumberGenerator.GetBytes(32);
        var seed = RandomNumberGenerator.GetBytes(32);
        var announcer = Track(DhtTestnet.Peer(testnet.Bootstrap, "--announce-only", ToHex(topic), "--seed", ToHex(seed), "--timeout", "120"));
        var announced = await announcer.WaitForEventAsync("announced", Bound);
        Assert.True(announced.GetProperty("nodes").GetInt32() >= 1);

        var lookup = Track(DhtTestnet.Peer(testnet.Bootstrap, "--lookup", ToHex(topic), "--expect", "1", "--timeout", "30"));
        var peer = await lookup.WaitForEventAsync("peer", Bound);
        Assert.Equal(ToHex(HyperDhtKeys.KeyPair(seed).PublicKey), peer.GetProperty("publicKey").GetString());
        Assert.Contains(testnet.Nodes, n => n.Storage!.RecordsFor(topic).Count > 0);
    }

    [Fact]
    public async Task JsPeersConnectByPublicKeyThroughCSharpRelays()
    {
        var testnet = Track(await StartTestnetAsync(5));
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
}
