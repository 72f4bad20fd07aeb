using System.Net;
using System.Text.Json;
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.HyperDht;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests.HyperDht;

/// <summary>dht-vectors.json hyperdht: constants, namespaces, key pairs, every message encoding, signatures, payload boxes.</summary>
public class HyperDhtVectorTests
{
    private static JsonElement Section => DhtVectors.GetProperty("hyperdht");

    [Fact]
    public void ConstantsMatch()
    {
        var c = Section.GetProperty("constants");
        var commands = c.GetProperty("COMMANDS");
        Assert.Equal(HyperDhtCommand.PeerHandshake, commands.GetProperty("PEER_HANDSHAKE").GetUInt64());
        Assert.Equal(HyperDhtCommand.PeerHolepunch, commands.GetProperty("PEER_HOLEPUNCH").GetUInt64());
        Assert.Equal(HyperDhtCommand.FindPeer, commands.GetProperty("FIND_PEER").GetUInt64());
        Assert.Equal(HyperDhtCommand.Lookup, commands.GetProperty("LOOKUP").GetUInt64());
        Assert.Equal(HyperDhtCommand.Announce, commands.GetProperty("ANNOUNCE").GetUInt64());
        Assert.Equal(HyperDhtCommand.Unannounce, commands.GetProperty("UNANNOUNCE").GetUInt64());
        Assert.Equal(HyperDhtCommand.MutablePut, commands.GetProperty("MUTABLE_PUT").GetUInt64());
        Assert.Equal(HyperDhtCommand.MutableGet, commands.GetProperty("MUTABLE_GET").GetUInt64());
        Assert.Equal(HyperDhtCommand.ImmutablePut, commands.GetProperty("IMMUTABLE_PUT").GetUInt64());
        Assert.Equal(HyperDhtCommand.ImmutableGet, commands.GetProperty("IMMUTABLE_GET").GetUInt64());
        Assert.Equal(HyperDhtCommand.Plugin, commands.GetProperty("PLUGIN").GetUInt64());
        var fw = c.GetProperty("FIREWALL");
        foreach (var name in new[] { "UNKNOWN", "OPEN", "CONSISTENT", "RANDOM" })
            Assert.Equal(fw.GetProperty(name).GetUInt64(), (ulong)Enum.Parse<FirewallType>(name, ignoreCase: true));
        var modes = c.GetProperty("handshakeModes");
        Assert.Equal((ulong)RelayMode.FromClient, modes.GetProperty("FROM_CLIENT").GetUInt64());
        Assert.Equal((ulong)RelayMode.FromServer, modes.GetProperty("FROM_SERVER").GetUInt64());
        Assert.Equal((ulong)RelayMode.FromRelay, modes.GetProperty("FROM_RELAY").GetUInt64());
        Assert.Equal((ulong)RelayMode.FromSecondRelay, modes.GetProperty("FROM_SECOND_RELAY").GetUInt64());
        Assert.Equal((ulong)RelayMode.Reply, modes.GetProperty("REPLY").GetUInt64());
        var err = c.GetProperty("ERROR");
        Assert.Equal(PayloadError.Aborted, err.GetProperty("ABORTED").GetUInt64());
        Assert.Equal(PayloadError.VersionMismatch, err.GetProperty("VERSION_MISMATCH").GetUInt64());
        Assert.Equal(PayloadError.TryLater, err.GetProperty("TRY_LATER").GetUInt64());
        Assert.Equal(HyperDhtOptions.DefaultPort, c.GetProperty("defaultPort").GetInt32());
        Assert.Equal(c.GetProperty("bootstrapNodes").EnumerateArray().Select(e => e.GetString()), new HyperDhtOptions().Bootstrap);
    }

    [Fact]
    public void NamespacesMatch()
    {
        var ns = Section.GetProperty("namespaces");
        Assert.Equal(ns.GetProperty("base").GetString(), ToHex(Blake2b.Hash256("hyperswarm/dht"u8)));
        var v = ns.GetProperty("values");
        Assert.Equal(v.GetProperty("ANNOUNCE").GetProperty("value").GetString(), ToHex(Namespaces.Announce));
        Assert.Equal(v.GetProperty("UNANNOUNCE").GetProperty("value").GetString(), ToHex(Namespaces.Unannounce));
        Assert.Equal(v.GetProperty("MUTABLE_PUT").GetProperty("value").GetString(), ToHex(Namespaces.MutablePut));
        Assert.Equal(v.GetProperty("PEER_HANDSHAKE").GetProperty("value").GetString(), ToHex(Namespaces.PeerHandshake));
        Assert.Equal(v.GetProperty("PEER_HOLEPUNCH").GetProperty("value").GetString(), ToHex(Namespaces.PeerHolepunch));
        Assert.Equal(v.GetProperty("PLUGIN").GetProperty("value").GetString(), ToHex(Namespaces.Plugin));
    }

    public static TheoryData<string, string, string, string> KeyPairs()
    {
        var d = new TheoryData<string, string, string, string>();
        foreach (var c in Section.GetProperty("keyPairs").GetProperty("cases").EnumerateArray())
            d.Add(c.GetProperty("seed").GetString()!, c.GetProperty("publicKey").GetString()!, c.GetProperty("secretKey").GetString()!, c.GetProperty("target").GetString()!);
        return d;
    }

    [Theory]
    [MemberData(nameof(KeyPairs))]
    public void KeyPairFromSeedAndTarget(string seed, string publicKey, string secretKey, string target)
    {
        var kp = HyperDhtKeys.KeyPair(Hex(seed));
        Assert.Equal(publicKey, ToHex(kp.PublicKey));
        Assert.Equal(secretKey, ToHex(kp.SecretKey!));
        Assert.Equal(target, ToHex(HyperDhtKeys.Hash(kp.PublicKey)));
    }

    public static TheoryData<string, int> Messages()
    {
        var d = new TheoryData<string, int>();
        foreach (var kind in Section.GetProperty("messages").EnumerateObject())
        {
            if (kind.Value.ValueKind != JsonValueKind.Array) continue;
            for (var i = 0; i < kind.Value.GetArrayLength(); i++) d.Add(kind.Name, i);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void MessagesEncodeAndDecodeLikeJs(string kind, int index)
    {
        var c = Section.GetProperty("messages").GetProperty(kind)[index];
        var encoded = c.GetProperty("encoded").GetString()!;
        var message = Build(kind, c.GetProperty("value"));
        Assert.Equal(encoded, ToHex(message.Encode()));
        var decoded = Decode(kind, Hex(encoded));
        Assert.Equal(encoded, ToHex(decoded.Encode()));
        if (kind == "lookupRawReply") Assert.Equal(Build("lookupRawReplyDecoded", c.GetProperty("decoded")), decoded);
    }

    private static CompactMessage Build(string kind, JsonElement v) => kind switch
    {
        "peer" => Peer(v),
        "announce" => new AnnounceMessage(
            v.GetProperty("peer").ValueKind == JsonValueKind.Null ? null : Peer(v.GetProperty("peer")),
            OptHex(v.GetProperty("refresh")), OptHex(v.GetProperty("signature")), v.GetProperty("bump").GetUInt64()),
        "handshake" => new HandshakeMessage((RelayMode)v.GetProperty("mode").GetUInt64(), Hex(v.GetProperty("noise").GetString()!),
            OptAddr(v.GetProperty("peerAddress")), OptAddr(v.GetProperty("relayAddress"))),
        "holepunch" => new HolepunchMessage((RelayMode)v.GetProperty("mode").GetUInt64(), v.GetProperty("id").GetUInt64(),
            Hex(v.GetProperty("payload").GetString()!), OptAddr(v.GetProperty("peerAddress"))),
        "noisePayload" => NoisePayloadFrom(v),
        "holepunchPayload" => new HolepunchPayload
        {
            Error = v.GetProperty("error").GetUInt64(),
            Firewall = (FirewallType)v.GetProperty("firewall").GetUInt64(),
            Round = v.GetProperty("round").GetUInt64(),
            Connected = v.GetProperty("connected").GetBoolean(),
            Punching = v.GetProperty("punching").GetBoolean(),
            Addresses = v.GetProperty("addresses").ValueKind == JsonValueKind.Null ? null : Addrs(v.GetProperty("addresses")),
            RemoteAddress = OptAddr(v.GetProperty("remoteAddress")),
            Token = OptHex(v.GetProperty("token")),
            RemoteToken = OptHex(v.GetProperty("remoteToken")),
        },
        "lookupRawReply" => new LookupReply(v.GetProperty("peers").EnumerateArray().Select(p => { Assert.True(PeerRecord.TryDecode(Hex(p.GetString()!), out var r)); return r; }).ToList(), v.GetProperty("bump").GetUInt64()),
        "lookupRawReplyDecoded" => new LookupReply(v.GetProperty("peers").EnumerateArray().Select(Peer).ToList(), v.GetProperty("bump").GetUInt64()),
        "mutableSignable" => new MutableSignable(v.GetProperty("seq").GetUInt64(), Hex(v.GetProperty("value").GetString()!)),
        "mutablePutRequest" => new MutablePutRequest(Hex(v.GetProperty("publicKey").GetString()!), v.GetProperty("seq").GetUInt64(),
            Hex(v.GetProperty("value").GetString()!), Hex(v.GetProperty("signature").GetString()!)),
        "mutableGetResponse" => new MutableGetResponse(v.GetProperty("seq").GetUInt64(), Hex(v.GetProperty("value").GetString()!), Hex(v.GetProperty("signature").GetString()!)),
        "pluginRequest" => new PluginRequest(v.GetProperty("plugin").GetString()!, v.GetProperty("version").GetUInt64(), v.GetProperty("command").GetUInt64(), OptHex(v.GetProperty("value"))),
        _ => throw new InvalidOperationException(kind),
    };

    internal static NoisePayload NoisePayloadFrom(JsonElement v) => new()
    {
        Error = v.GetProperty("error").GetUInt64(),
        Firewall = (FirewallType)v.GetProperty("firewall").GetUInt64(),
        Holepunch = v.GetProperty("holepunch").ValueKind == JsonValueKind.Null ? null : new HolepunchInfo(
            v.GetProperty("holepunch").GetProperty("id").GetUInt64(),
            v.GetProperty("holepunch").GetProperty("relays").EnumerateArray().Select(r => new RelayInfo(Addr(r.GetProperty("relayAddress")), Addr(r.GetProperty("peerAddress")))).ToList()),
        Addresses4 = v.TryGetProperty("addresses4", out var a4) && a4.ValueKind == JsonValueKind.Array ? Addrs(a4) : [],
        Addresses6 = v.TryGetProperty("addresses6", out var a6) && a6.ValueKind == JsonValueKind.Array
            ? a6.EnumerateArray().Select(a => new IPEndPoint(IPAddress.Parse(a.GetProperty("host").GetString()!), a.GetProperty("port").GetInt32())).ToList() : [],
        Udx = v.GetProperty("udx").ValueKind == JsonValueKind.Null ? null
            : new UdxInfo(v.GetProperty("udx").GetProperty("id").GetUInt32(), v.GetProperty("udx").GetProperty("seq").GetUInt64(), v.GetProperty("udx").GetProperty("reusableSocket").GetBoolean()),
        SecretStream = v.GetProperty("secretStream").ValueKind == JsonValueKind.Null ? null : 1,
        RelayThrough = v.GetProperty("relayThrough").ValueKind == JsonValueKind.Null ? null
            : new RelayThroughInfo(Hex(v.GetProperty("relayThrough").GetProperty("publicKey").GetString()!), Hex(v.GetProperty("relayThrough").GetProperty("token").GetString()!)),
        RelayAddresses = v.TryGetProperty("relayAddresses", out var ra) && ra.ValueKind == JsonValueKind.Array ? Addrs(ra) : null,
    };

    private static CompactMessage Decode(string kind, byte[] data)
    {
        CompactMessage? m = null;
        var ok = kind switch
        {
            "peer" => Try(PeerRecord.TryDecode(data, out var a), a, ref m),
            "announce" => Try(AnnounceMessage.TryDecode(data, out var b), b, ref m),
            "handshake" => Try(HandshakeMessage.TryDecode(data, out var c), c, ref m),
            "holepunch" => Try(HolepunchMessage.TryDecode(data, out var d), d, ref m),
            "noisePayload" => Try(NoisePayload.TryDecode(data, out var e), e, ref m),
            "holepunchPayload" => Try(HolepunchPayload.TryDecode(data, out var f), f, ref m),
            "lookupRawReply" => Try(LookupReply.TryDecode(data, out var g), g, ref m),
            "mutableSignable" => Try(MutableSignable.TryDecode(data, out var h), h, ref m),
            "mutablePutRequest" => Try(MutablePutRequest.TryDecode(data, out var i), i, ref m),
            "mutableGetResponse" => Try(MutableGetResponse.TryDecode(data, out var j), j, ref m),
            "pluginRequest" => Try(PluginRequest.TryDecode(data, out var k), k, ref m),
            _ => throw new InvalidOperationException(kind),
        };
        Assert.True(ok);
        return m!;
    }

    private static bool Try(bool ok, CompactMessage value, ref CompactMessage? result)
    {
        result = value;
        return ok;
    }

    internal static PeerRecord Peer(JsonElement v) => new(Hex(v.GetProperty("publicKey").GetString()!), Addrs(v.GetProperty("relayAddresses")));

    internal static Ipv4EndPoint Addr(JsonElement v) => Ipv4EndPoint.Parse(v.GetProperty("host").GetString() + ":" + v.GetProperty("port").GetInt32());

    internal static List<Ipv4EndPoint> Addrs(JsonElement v) => v.EnumerateArray().Select(Addr).ToList();

    private static Ipv4EndPoint? OptAddr(JsonElement v) => v.ValueKind == JsonValueKind.Null ? null : Addr(v);

    private static byte[]? OptHex(JsonElement v) => v.ValueKind == JsonValueKind.Null ? null : Hex(v.GetString()!);

    public static TheoryData<int> AnnounceCases()
    {
        var d = new TheoryData<int>();
        for (var i = 0; i < Section.GetProperty("announceSignatures").GetProperty("cases").GetArrayLength(); i++) d.Add(i);
        return d;
    }

    [Theory]
    [MemberData(nameof(AnnounceCases))]
    public void AnnounceSignaturesMatchAndVerify(int index)
    {
        var s = Section.GetProperty("announceSignatures");
        var c = s.GetProperty("cases")[index];
        var target = Hex(s.GetProperty("target").GetString()!);
        var nodeId = Hex(s.GetProperty("nodeId").GetString()!);
        var token = Hex(s.GetProperty("token").GetString()!);
        Assert.True(PeerRecord.TryDecode(Hex(c.GetProperty("peerEncoding").GetString()!), out var peer));
        var refresh = c.GetProperty("refresh").ValueKind == JsonValueKind.Null ? [] : Hex(c.GetProperty("refresh").GetString()!);
        var ns = c.GetProperty("namespace").GetString() == "ANNOUNCE" ? Namespaces.Announce.ToArray() : Namespaces.Unannounce.ToArray();
        Assert.Equal(c.GetProperty("signable").GetString(), ToHex(AnnounceSignature.Signable(ns, target, nodeId, token, peer, refresh)));

        var server = HyperDhtKeys.KeyPair(Hex(Section.GetProperty("keyPairs").GetProperty("cases")[1].GetProperty("seed").GetString()!));
        Assert.Equal(s.GetProperty("publicKey").GetString(), ToHex(server.PublicKey));
        var signature = c.GetProperty("namespace").GetString() == "ANNOUNCE"
            ? AnnounceSignature.SignAnnounce(target, nodeId, token, peer, refresh, server.SecretKey!)
            : AnnounceSignature.SignUnannounce(target, nodeId, token, peer, server.SecretKey!);
        Assert.Equal(c.GetProperty("signature").GetString(), ToHex(signature));

        Assert.True(AnnounceMessage.TryDecode(Hex(c.GetProperty("announceMessage").GetString()!), out var message));
        Assert.Equal(c.GetProperty("announceMessage").GetString(), ToHex(message.Encode()));
        Assert.True(AnnounceSignature.Verify(ns, target, nodeId, token, message));
        var otherToken = (byte[])token.Clone();
        otherToken[0] ^= 1;
        Assert.False(AnnounceSignature.Verify(ns, target, nodeId, otherToken, message));
        Assert.False(AnnounceSignature.Verify(ns, nodeId, target, token, message));
    }

    [Fact]
    public void MutableSignatureMatches()
    {
        var m = Section.GetProperty("mutableSignature");
        var kp = HyperDhtKeys.KeyPair(Hex(Section.GetProperty("keyPairs").GetProperty("cases")[0].GetProperty("seed").GetString()!));
        var value = Hex(m.GetProperty("value").GetString()!);
        var seq = m.GetProperty("seq").GetUInt64();
        Assert.Equal(m.GetProperty("mutableSignable").GetString(), ToHex(new MutableSignable(seq, value).Encode()));
        Assert.Equal(m.GetProperty("signable").GetString(), ToHex(AnnounceSignature.MutableSignable(seq, value)));
        Assert.Equal(m.GetProperty("signature").GetString(), ToHex(AnnounceSignature.SignMutable(seq, value, kp.SecretKey!)));
        Assert.True(AnnounceSignature.VerifyMutable(Hex(m.GetProperty("signature").GetString()!), seq, value, kp.PublicKey));
        Assert.Equal(m.GetProperty("target").GetString(), ToHex(HyperDhtKeys.Hash(kp.PublicKey)));
    }

    [Fact]
    public void HolepunchSecretMatches()
    {
        var h = Section.GetProperty("holepunchSecret");
        Assert.Equal(h.GetProperty("holepunchSecret").GetString(), ToHex(HolepunchBox.SecretFromHandshakeHash(Hex(h.GetProperty("handshakeHash").GetString()!))));
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void HolepunchPayloadBoxesMatchAndOpen(string side)
    {
        var s = Section.GetProperty("securePayload");
        var c = s.GetProperty(side);
        var secret = Hex(s.GetProperty("holepunchSecret").GetString()!);
        var box = new HolepunchBox(secret, Hex(c.GetProperty("localSecret").GetString()!));
        var payload = (HolepunchPayload)Build("holepunchPayload", c.GetProperty("payload"));
        Assert.Equal(c.GetProperty("encodedPayload").GetString(), ToHex(payload.Encode()));
        if (c.TryGetProperty("tokenFor", out var tokenFor))
            Assert.Equal(c.GetProperty("token").GetString(), ToHex(box.Token(Ipv4EndPoint.Parse(tokenFor.GetString() + ":1"))));
        var sealedBox = box.Seal(payload, Hex(c.GetProperty("nonce").GetString()!));
        Assert.Equal(c.GetProperty("box").GetString(), ToHex(sealedBox));

        var peer = new HolepunchBox(secret);
        Assert.True(peer.TryOpen(sealedBox, out var opened));
        Assert.Equal(c.GetProperty("encodedPayload").GetString(), ToHex(opened.Encode()));
        sealedBox[^1] ^= 1;
        Assert.False(peer.TryOpen(sealedBox, out _));
        Assert.False(peer.TryOpen(sealedBox.AsSpan(0, 30), out _));
        Assert.False(new HolepunchBox(new byte[32]).TryOpen(box.Seal(payload), out _));
    }
}
