using System.Security.Cryptography;
using Cabal.Interop.Tests.Js;
using Cabal.Net.Crypto;
using Cabal.Net.HyperDht;
using static Cabal.Tests.TestPaths;

namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// The Noise IK handshake inside PEER_HANDSHAKE against real JS peers, relayed by JS testnet nodes. The
/// connection itself needs UDX streams (not in this layer), so these stop once both sides hold the
/// same handshake result.
/// </summary>
[Collection(DhtInteropCollection.Name)]
public class HandshakeInteropTests : JsInteropTest
{
    private static readonly TimeSpan Bound = DhtTestnet.Timeout;

    private sealed class RecordingTransport : IServerTransport
    {
        public readonly List<ServerHandshake> Handshakes = [];
        public uint CreateStream(HandshakeContext context) => (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
        public void OnHandshake(ServerHandshake handshake)
        {
            lock (Handshakes) Handshakes.Add(handshake);
        }
    }

    [Fact]
    public async Task CSharpClientCompletesTheHandshakeWithAJsServer()
    {
        var testnet = Track(await DhtTestnet.StartAsync());
        var seed = RandomNumberGenerator.GetBytes(32);
        var serverKey = HyperDhtKeys.KeyPair(seed).PublicKey;
        var js = Track(testnet.Peer("--serve", "--seed", ToHex(seed), "--timeout", "120"));
        await js.WaitForEventAsync("listening", Bound);

        await using var dht = new HyperDht(testnet.Options());
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);
        var payload = new NoisePayload
        {
            Firewall = FirewallType.Unknown,
            Addresses4 = [dht.Node.ServerAddress],
            Udx = new UdxInfo((uint)RandomNumberGenerator.GetInt32(1, int.MaxValue)),
            SecretStream = 1,
        };
        var result = await dht.HandshakeAsync(serverKey, HyperDhtKeys.KeyPair(), payload).WaitAsync(Bound);
        Assert.True(result.Relayed, "the handshake went through a JS relay");
        Assert.Equal(serverKey, result.Noise.RemotePublicKey);
        Assert.NotNull(result.ServerPayload.Udx);
        Assert.Equal(1ul, result.ServerPayload.SecretStream);
        Assert.Equal(32, result.Noise.Tx.Length);
    }

    [Fact]
    public async Task JsClientHandshakeReachesACSharpServerThroughJsRelays()
    {
        var testnet = Track(await DhtTestnet.StartAsync());
        await using var dht = new HyperDht(testnet.Options());
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);
        var serverKeys = HyperDhtKeys.KeyPair();
        var transport = new RecordingTransport();
        var server = dht.Listen(serverKeys, transport);
        await Js.Loopback.Eventually(() => server.Relays.Count > 0, "the C# server's self-announce on the JS testnet", Bound);

        var clientSeed = RandomNumberGenerator.GetBytes(32);
        var client = Track(testnet.Peer("--connect", ToHex(serverKeys.PublicKey), "--seed", ToHex(clientSeed), "--timeout", "30"));
        await Js.Loopback.Eventually(() => { lock (transport.Handshakes) return transport.Handshakes.Count > 0; }, "a handshake from the JS client", Bound);
        ServerHandshake hs;
        lock (transport.Handshakes) hs = transport.Handshakes[0];
        Assert.Equal(HyperDhtKeys.KeyPair(clientSeed).PublicKey, hs.Noise.RemotePublicKey);
        Assert.NotNull(hs.ClientPayload.Udx);
        Assert.False(hs.Direct, "the JS client reached us through a relay");
        Assert.Equal(1, server.Responder.Answered);
    }
}
