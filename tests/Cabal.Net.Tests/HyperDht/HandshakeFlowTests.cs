using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht;

namespace Cabal.Net.Tests.HyperDht;

/// <summary>PEER_HANDSHAKE end to end on an in-memory DHT of C# nodes: a listening server, relays, a client.</summary>
public class HandshakeFlowTests
{
    private sealed class FakeTransport : IServerTransport
    {
        public readonly List<ServerHandshake> Handshakes = [];
        private uint _next = 1000;

        public uint CreateStream(HandshakeContext context) => _next++;

        public void OnHandshake(ServerHandshake handshake)
        {
            lock (Handshakes) Handshakes.Add(handshake);
        }
    }

    private static async Task<(Cabal.Net.HyperDht.HyperDht ServerNode, Cabal.Net.HyperDht.HyperDht ClientNode, KeyPair ServerKeys, FakeTransport Transport, HyperDhtServer Server)> ListeningServerAsync(MemoryTestnet net)
    {
        var serverNode = await net.AddNodeAsync();
        var clientNode = await net.AddNodeAsync();
        var serverKeys = HyperDhtKeys.KeyPair();
        var transport = new FakeTransport();
        var server = serverNode.Listen(serverKeys, transport);
        await MemoryTestnet.EventuallyAsync(() => server.Relays.Count > 0, "the server's self-announce");
        return (serverNode, clientNode, serverKeys, transport, server);
    }

    private static NoisePayload ClientPayload(uint udxId) => new() { Firewall = FirewallType.Unknown, Udx = new UdxInfo(udxId), SecretStream = 1 };

    [Fact]
    public async Task ClientReachesAListeningServerThroughItsRelays()
    {
        await using var net = await MemoryTestnet.StartAsync(persistent: 3);
        var (serverNode, clientNode, serverKeys, transport, server) = await ListeningServerAsync(net);
        Assert.All(server.RelayAddresses, a => Assert.Contains(net.Nodes, n => n.Node.ServerAddress == a));

        var clientKeys = HyperDhtKeys.KeyPair();
        var result = await clientNode.HandshakeAsync(serverKeys.PublicKey, clientKeys, ClientPayload(77)).WaitAsync(MemoryTestnet.Bound);
        Assert.True(result.Relayed);
        Assert.Equal(serverKeys.PublicKey, result.Noise.RemotePublicKey);
        Assert.Equal(1000u, result.ServerPayload.Udx!.Id);
        // On this network every node wins its quick firewall test, so the server may say OPEN (no holepunch info).
        Assert.Equal(result.ServerPayload.Firewall == FirewallType.Open, result.ServerPayload.Holepunch is null);
        Assert.Contains(result.ServerAddress.Port, new[] { serverNode.Node.ClientSocket.LocalEndPoint.Port, serverNode.Node.ServerSocket.LocalEndPoint.Port });

        var hs = Assert.Single(transport.Handshakes);
        Assert.Equal(clientKeys.PublicKey, hs.Noise.RemotePublicKey);
        Assert.Equal(result.Noise.HandshakeHash, hs.Noise.HandshakeHash);
        Assert.Equal(result.Noise.Tx, hs.Noise.Rx);
        Assert.Equal(77u, hs.ClientPayload.Udx!.Id);
        Assert.Equal(result.HolepunchSecret, HolepunchBox.SecretFromHandshakeHash(hs.Noise.HandshakeHash));
        Assert.Contains(net.Nodes, n => n.Router.Forwarded > 0);
    }

    [Fact]
    public async Task RetransmittedMessage1GetsTheSameReplyAndOneStream()
    {
        await using var net = await MemoryTestnet.StartAsync(persistent: 3);
        var (serverNode, clientNode, serverKeys, transport, server) = await ListeningServerAsync(net);

        using var handshake = new ClientHandshake(HyperDhtKeys.KeyPair(), serverKeys.PublicKey, ClientPayload(5));
        var replies = new List<byte[]>();
        foreach (var relay in server.RelayAddresses.Concat(server.RelayAddresses))
        {
            var reply = await clientNode.Node.RequestAsync(relay, new DhtRequestOptions
            {
                Command = HyperDhtCommand.PeerHandshake, Target = handshake.Target, Value = handshake.RequestValue(),
            }).WaitAsync(MemoryTestnet.Bound);
            Assert.True(HandshakeMessage.TryDecode(reply.Value!, out var m));
            replies.Add(m.Noise);
            handshake.OnReply(reply, relay);
        }
        Assert.All(replies, r => Assert.Equal(replies[0], r));
        Assert.Single(transport.Handshakes);
        Assert.Equal(1, server.Responder.Answered);
        Assert.Equal(replies.Count - 1, server.Responder.AnsweredAgain);
    }

    [Fact]
    public async Task UnknownKeysAndForgedRepliesAreRefused()
    {
        await using var net = await MemoryTestnet.StartAsync(persistent: 3);
        var clientNode = await net.AddNodeAsync();
        var nobody = HyperDhtKeys.KeyPair().PublicKey;
        var e = await Assert.ThrowsAsync<HyperDhtException>(() => clientNode.HandshakeAsync(nobody, HyperDhtKeys.KeyPair(), ClientPayload(1)).WaitAsync(MemoryTestnet.Bound));
        Assert.Equal("PEER_NOT_FOUND", e.Code);

        // A node without a route answers FROM_CLIENT with closer nodes only: not a handshake reply.
        using var handshake = new ClientHandshake(HyperDhtKeys.KeyPair(), nobody, ClientPayload(1));
        var relay = net.Nodes[1].Node.ServerAddress;
        var reply = await clientNode.Node.RequestAsync(relay, new DhtRequestOptions
        {
            Command = HyperDhtCommand.PeerHandshake, Target = handshake.Target, Value = handshake.RequestValue(),
        }).WaitAsync(MemoryTestnet.Bound);
        Assert.Equal("BAD_HANDSHAKE_REPLY", Assert.Throws<HyperDhtException>(() => handshake.OnReply(reply, relay)).Code);

        // A reply from an address we did not send to is refused.
        var forged = new DhtReply(new DhtResponse { Value = new HandshakeMessage(RelayMode.Reply, new byte[80]).Encode() }, relay with { Port = 1 }, TimeSpan.Zero);
        Assert.Equal("BAD_HANDSHAKE_REPLY", Assert.Throws<HyperDhtException>(() => handshake.OnReply(forged, relay)).Code);
        // Garbage noise from the right address fails authentication.
        var garbage = new DhtReply(new DhtResponse { Value = new HandshakeMessage(RelayMode.Reply, new byte[80]).Encode() }, relay, TimeSpan.Zero);
        Assert.Equal("BAD_HANDSHAKE_REPLY", Assert.Throws<HyperDhtException>(() => handshake.OnReply(garbage, relay)).Code);
    }

    [Fact]
    public void ResponderRefusesMessagesForOtherKeysAndOpensOnlyItsOwnHolepunchBoxes()
    {
        var serverKeys = HyperDhtKeys.KeyPair();
        var responder = new HandshakeResponder(serverKeys, ctx => new NoisePayload { Udx = new UdxInfo(9), SecretStream = 1 });
        var from = Ipv4EndPoint.Loopback(4000);
        using var forOther = new ClientHandshake(HyperDhtKeys.KeyPair(), HyperDhtKeys.KeyPair().PublicKey, ClientPayload(1));
        Assert.Null(responder.OnHandshake(forOther.Message1, null, from, from));
        Assert.Null(responder.OnHandshake(new byte[10], null, from, from));
        Assert.Equal(2, responder.RefusedUndecodable);

        using var client = new ClientHandshake(HyperDhtKeys.KeyPair(), serverKeys.PublicKey, new NoisePayload { SecretStream = 1 });
        var hs = responder.OnHandshake(client.Message1, null, from, from)!;
        Assert.False(hs.Accepted);
        Assert.Equal(PayloadError.Aborted, hs.ServerPayload.Error);

        var box = new HolepunchBox(HolepunchBox.SecretFromHandshakeHash(hs.Noise.HandshakeHash));
        Assert.True(hs.PayloadBox.TryOpen(box.Seal(new HolepunchPayload { Round = 1 }), out var opened));
        Assert.Equal(1ul, opened.Round);
        Assert.False(hs.PayloadBox.TryOpen(new HolepunchBox(new byte[32]).Seal(new HolepunchPayload()), out _));
    }
}
