using System.Diagnostics;
using Cabal.Interop.Tests.Js;
using Cabal.Net.HyperDht;
using static Cabal.Interop.Tests.Udx.UdxTestKit;

namespace Cabal.Interop.Tests.Dht;

/// <summary>ConnectAsync and Listen between C# peers on a DHT of C# nodes (127.0.0.1): events, errors, bounds, cleanup.</summary>
[Collection(DhtInteropCollection.Name)]
public class ConnectionTests : JsInteropTest
{
    private static readonly TimeSpan Bound = DhtTestnet.Timeout;

    /// <summary>A node; an unfirewalled one is reachable by configuration (not the quick firewall test, which races its bootstrap query).</summary>
    private async Task<HyperDht> NodeAsync(CSharpTestnet testnet, bool firewalled = true)
    {
        var dht = Track(new HyperDht(testnet.Options() with { QuickFirewall = false, Firewalled = firewalled }));
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);
        if (!firewalled) await Js.Loopback.Eventually(() => dht.Node.RemoteAddress is not null, "the node to learn its reachable address", Bound);
        return dht;
    }

    private static async Task<HyperDhtServer> ListenAsync(HyperDht dht, Action<HyperDhtConnection> onConnection,
        Func<byte[], NoisePayload, Cabal.Net.Compact.Ipv4EndPoint, bool>? firewall = null)
    {
        var server = dht.Listen(HyperDhtKeys.KeyPair(), onConnection, firewall);
        await Js.Loopback.Eventually(() => server.Relays.Count > 0, "the server's self-announce", Bound);
        return server;
    }

    [Fact]
    public async Task EveryClientRaisesOneConnectionEventWithItsKey()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var serverNode = await NodeAsync(testnet);
        var accepted = new List<HyperDhtConnection>();
        var server = await ListenAsync(serverNode, c =>
        {
            lock (accepted) accepted.Add(c);
            _ = EchoAsync(c);
        });

        var clients = new List<HyperDht>();
        for (var i = 0; i < 3; i++) clients.Add(await NodeAsync(testnet, firewalled: i != 0));
        var connections = await Task.WhenAll(clients.Select(c => c.ConnectAsync(server.PublicKey))).WaitAsync(Bound);
        foreach (var connection in connections)
        {
            await using var _ = connection;
            Assert.Equal(server.PublicKey, connection.RemotePublicKey);
            var read = ReadAllAsync(connection.Input);
            await WritePatternAsync(connection.Output, 64 << 10);
            Assert.Equal((64L << 10, PatternSha256(64 << 10)), await read.WaitAsync(Bound));
        }
        Assert.Equal(ConnectionPath.Direct, connections[0].Path);
        Assert.Equal(3, server.Connections);
        lock (accepted)
        {
            Assert.All(accepted, c => Assert.False(c.IsInitiator));
            Assert.Equal(clients.Select(c => Convert.ToHexString(c.DefaultKeyPair.PublicKey)).Order(),
                accepted.Select(c => Convert.ToHexString(c.RemotePublicKey)).Order());
        }
    }

    [Fact]
    public async Task AKeyNobodyServesIsNotFound()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var client = await NodeAsync(testnet);
        var error = await Assert.ThrowsAsync<HyperDhtException>(() => client.ConnectAsync(HyperDhtKeys.KeyPair().PublicKey).WaitAsync(Bound));
        Assert.Equal("PEER_NOT_FOUND", error.Code);
        Assert.Equal(0, client.Udx!.StreamCount);
    }

    [Fact]
    public async Task ARefusedClientTimesOutOrIsCancelledAndLeavesNothingBehind()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var serverNode = await NodeAsync(testnet);
        var server = await ListenAsync(serverNode, _ => { }, firewall: (_, _, _) => true);
        var client = await NodeAsync(testnet);

        var clock = Stopwatch.StartNew();
        var timeout = await Assert.ThrowsAsync<HyperDhtException>(() =>
            client.ConnectAsync(server.PublicKey, new ConnectOptions { Timeout = TimeSpan.FromSeconds(1) }).WaitAsync(Bound));
        Assert.Equal("CONNECT_TIMEOUT", timeout.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        Assert.True(server.Responder.RefusedByFirewall > 0, "the server's firewall hook refused the client");

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ConnectAsync(server.PublicKey, cancellationToken: cancel.Token).WaitAsync(Bound));
        await Js.Loopback.Eventually(() => client.Udx!.StreamCount == 0, "the client's unused streams to go", Bound);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task ADisposedServerUnannouncesItself()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var serverNode = await NodeAsync(testnet);
        var server = await ListenAsync(serverNode, _ => { });
        var client = await NodeAsync(testnet);
        Assert.NotEmpty(await client.FindPeerAsync(server.PublicKey).WaitAsync(Bound));

        await server.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.Empty(await client.FindPeerAsync(server.PublicKey).WaitAsync(Bound));
        var error = await Assert.ThrowsAsync<HyperDhtException>(() => client.ConnectAsync(server.PublicKey).WaitAsync(Bound));
        Assert.Equal("PEER_NOT_FOUND", error.Code);

        // The key is free again on that node.
        await using var again = serverNode.Listen(server.KeyPair, _ => { });
        Assert.Equal("ALREADY_LISTENING", Assert.Throws<HyperDhtException>(() => serverNode.Listen(server.KeyPair, _ => { })).Code);
    }
}
