using System.Text.Json;
using Cabal.Net.Crypto;
using Cabal.Net.HyperDht;
using Cabal.Net.Noise;
using Cabal.Net.NoiseIk;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests.NoiseIk;

/// <summary>dht-vectors.json noise: the Ed25519 DH and both IK handshakes, byte for byte, from both sides.</summary>
public class NoiseIkVectorTests
{
    private static JsonElement Section => DhtVectors.GetProperty("noise");

    private static KeyPair Static(string role) => Ed25519.KeyPairFromSeed(Hex(Section.GetProperty(role).GetProperty("seed").GetString()!));

    private static KeyPair Ephemeral(string role) => Ed25519.KeyPairFromSeed(Hex(Section.GetProperty(role).GetProperty("ephemeralSeed").GetString()!));

    [Fact]
    public void KeysAndPrologueMatch()
    {
        Assert.Equal(Section.GetProperty("prologue").GetString(), ToHex(Namespaces.PeerHandshake));
        foreach (var role in new[] { "initiator", "responder" })
        {
            var r = Section.GetProperty(role);
            Assert.Equal(r.GetProperty("publicKey").GetString(), ToHex(Static(role).PublicKey));
            Assert.Equal(r.GetProperty("secretKey").GetString(), ToHex(Static(role).SecretKey!));
            Assert.Equal(r.GetProperty("ephemeralPublicKey").GetString(), ToHex(Ephemeral(role).PublicKey));
        }
    }

    [Fact]
    public void RawDhMatchesBothWays()
    {
        var d = Section.GetProperty("rawDh");
        var scalar = new byte[32];
        Ed25519Dh.ClampedScalar(Hex(d.GetProperty("secretKeySeed").GetString()!), scalar);
        Assert.Equal(d.GetProperty("clampedScalar").GetString(), ToHex(scalar));
        var shared = new byte[32];
        Assert.True(Ed25519Dh.TryAgree(Static("initiator").SecretKey!, Hex(d.GetProperty("peerPublicKey").GetString()!), shared));
        Assert.Equal(d.GetProperty("output").GetString(), ToHex(shared));
        Assert.True(Ed25519Dh.TryAgree(Static("responder").SecretKey!, Static("initiator").PublicKey, shared));
        Assert.Equal(d.GetProperty("symmetricCheck").GetProperty("output").GetString(), ToHex(shared));
    }

    [Fact]
    public void SmallOrderAndNonCanonicalPointsAreRefused()
    {
        var shared = new byte[32];
        var identity = new byte[32];
        identity[0] = 1;
        Assert.False(Ed25519Dh.TryAgree(Static("initiator").SecretKey!, identity, shared));
        Assert.False(Ed25519Dh.TryAgree(Static("initiator").SecretKey!, new byte[32], shared));
        Assert.False(Ed25519Dh.TryAgree(Static("initiator").SecretKey!, Enumerable.Repeat((byte)0xff, 32).ToArray(), shared));
        Assert.False(Ed25519Dh.TryAgree(Static("initiator").SecretKey!, new byte[31], shared));
    }

    public static TheoryData<int> Handshakes()
    {
        var d = new TheoryData<int>();
        for (var i = 0; i < Section.GetProperty("handshakes").GetArrayLength(); i++) d.Add(i);
        return d;
    }

    [Theory]
    [MemberData(nameof(Handshakes))]
    public void HandshakeMatchesJsFromBothSides(int index)
    {
        var h = Section.GetProperty("handshakes")[index];
        var client = new NoiseIkHandshake(true, Static("initiator"), Static("responder").PublicKey, Namespaces.PeerHandshake, Ephemeral("initiator"));
        var server = new NoiseIkHandshake(false, Static("responder"), default, Namespaces.PeerHandshake, Ephemeral("responder"));

        var msg1 = client.WriteMessage(Hex(h.GetProperty("initiatorPayload").GetString()!));
        Assert.Equal(h.GetProperty("message1").GetString(), ToHex(msg1));
        Assert.Equal(h.GetProperty("initiatorPayload").GetString(), ToHex(server.ReadMessage(msg1)));
        Assert.Equal(Static("initiator").PublicKey, server.RemoteStaticKey);

        var msg2 = server.WriteMessage(Hex(h.GetProperty("responderPayload").GetString()!));
        Assert.Equal(h.GetProperty("message2").GetString(), ToHex(msg2));
        Assert.Equal(h.GetProperty("responderPayload").GetString(), ToHex(client.ReadMessage(msg2)));

        var c = client.Result!;
        var s = server.Result!;
        Assert.Equal(h.GetProperty("handshakeHash").GetString(), ToHex(c.HandshakeHash));
        Assert.Equal(h.GetProperty("handshakeHash").GetString(), ToHex(s.HandshakeHash));
        Assert.Equal(h.GetProperty("initiator").GetProperty("tx").GetString(), ToHex(c.Tx));
        Assert.Equal(h.GetProperty("initiator").GetProperty("rx").GetString(), ToHex(c.Rx));
        Assert.Equal(h.GetProperty("responder").GetProperty("tx").GetString(), ToHex(s.Tx));
        Assert.Equal(h.GetProperty("responder").GetProperty("rx").GetString(), ToHex(s.Rx));
        Assert.Equal(h.GetProperty("responder").GetProperty("remoteStaticKey").GetString(), ToHex(s.RemotePublicKey));
        Assert.Equal(h.GetProperty("initiator").GetProperty("remoteStaticKey").GetString(), ToHex(c.RemotePublicKey));

        if (h.TryGetProperty("noiseWrapFinal", out var final))
            Assert.Equal(final.GetProperty("initiator").GetProperty("holepunchSecret").GetString(), ToHex(HolepunchBox.SecretFromHandshakeHash(c.HandshakeHash)));
    }

    [Fact]
    public void HyperdhtPayloadsDecode()
    {
        var h = Section.GetProperty("handshakes")[0];
        Assert.True(NoisePayload.TryDecode(Hex(h.GetProperty("initiatorPayload").GetString()!), out var p1));
        Assert.Equal(0x11223344u, p1.Udx!.Id);
        Assert.True(NoisePayload.TryDecode(Hex(h.GetProperty("responderPayload").GetString()!), out var p2));
        Assert.Equal(h.GetProperty("responderPayload").GetString(), ToHex(p2.Encode()));
        Assert.Single(p2.Holepunch!.Relays);
    }

    [Fact]
    public void TamperedOrWrongKeyMessagesFail()
    {
        var h = Section.GetProperty("handshakes")[0];
        var msg1 = Hex(h.GetProperty("message1").GetString()!);
        for (var i = 0; i < msg1.Length; i += 7)
        {
            var bad = (byte[])msg1.Clone();
            bad[i] ^= 0x40;
            var server = new NoiseIkHandshake(false, Static("responder"), default, Namespaces.PeerHandshake);
            Assert.Throws<NoiseHandshakeException>(() => server.ReadMessage(bad));
            Assert.Throws<NoiseHandshakeException>(() => server.WriteMessage([]));
        }
        // msg1 for another server: its static key differs, so es/ss differ and the tag fails.
        var other = new NoiseIkHandshake(false, Ed25519.NewKeyPair(), default, Namespaces.PeerHandshake);
        Assert.Throws<NoiseHandshakeException>(() => other.ReadMessage(msg1));
        Assert.Throws<NoiseHandshakeException>(() => new NoiseIkHandshake(false, Static("responder"), default, Namespaces.PeerHandshake).ReadMessage(msg1.AsSpan(0, 60)));
    }

    [Fact]
    public void RandomEphemeralsStillAgree()
    {
        var client = new NoiseIkHandshake(true, Static("initiator"), Static("responder").PublicKey, Namespaces.PeerHandshake);
        var server = new NoiseIkHandshake(false, Static("responder"), default, Namespaces.PeerHandshake);
        server.ReadMessage(client.WriteMessage("hi"u8));
        client.ReadMessage(server.WriteMessage("yo"u8));
        Assert.Equal(client.Result!.Tx, server.Result!.Rx);
        Assert.Equal(client.Result.HandshakeHash, server.Result.HandshakeHash);
    }
}
