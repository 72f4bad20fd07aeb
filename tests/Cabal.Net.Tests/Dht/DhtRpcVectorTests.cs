using System.Net;
using System.Text.Json;
using Cabal.Net.Compact;
using Cabal.Net.Dht;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests.Dht;

/// <summary>
/// dht-vectors.json dhtRpc: datagram encodings, node ids, tokens, and node A's replies to every
/// exchange, produced by our node logic (an in-memory socket, A's token secrets and table from the
/// vectors) byte for byte.
/// </summary>
public class DhtRpcVectorTests
{
    private static JsonElement Section => DhtVectors.GetProperty("dhtRpc");

    public static TheoryData<string, int, string> NodeIds()
    {
        var d = new TheoryData<string, int, string>();
        foreach (var c in Section.GetProperty("nodeIds").GetProperty("cases").EnumerateArray())
            d.Add(c.GetProperty("host").GetString()!, c.GetProperty("port").GetInt32(), c.GetProperty("id").GetString()!);
        return d;
    }

    [Theory]
    [MemberData(nameof(NodeIds))]
    public void NodeIdIsTheHashOfTheCompactAddress(string host, int port, string id)
    {
        var e = Ipv4EndPoint.Parse($"{host}:{port}");
        Assert.Equal(id, ToHex(NodeId.FromEndPoint(e)));
        Assert.True(NodeId.Matches(Hex(id), e));
        Assert.False(NodeId.Matches(Hex(id), e with { Port = (ushort)(port ^ 1) }));
    }

    public static TheoryData<string, string, string> Tokens()
    {
        var d = new TheoryData<string, string, string>();
        foreach (var c in Section.GetProperty("tokens").GetProperty("cases").EnumerateArray())
            d.Add(c.GetProperty("host").GetString()!, c.GetProperty("secretIndex0").GetString()!, c.GetProperty("secretIndex1").GetString()!);
        return d;
    }

    [Theory]
    [MemberData(nameof(Tokens))]
    public void TokensHashTheHostWithEachSecret(string host, string token0, string token1)
    {
        var s = Section.GetProperty("tokens").GetProperty("secrets");
        var tokens = new WriteTokens(Hex(s[0].GetString()!), Hex(s[1].GetString()!));
        var requester = Ipv4EndPoint.Parse(host + ":1234");
        Assert.Equal(token0, ToHex(tokens.Create(requester, 0)));
        Assert.Equal(token1, ToHex(tokens.Create(requester, 1)));
        Assert.True(tokens.IsValid(requester with { Port = 9 }, Hex(token0)));
        Assert.True(tokens.IsValid(requester, Hex(token1)));
    }

    [Fact]
    public void RotationShiftsSecretsAndHashesTheOldOne()
    {
        var t = Section.GetProperty("tokens");
        var s = t.GetProperty("secrets");
        var tokens = new WriteTokens(Hex(s[0].GetString()!), Hex(s[1].GetString()!));
        var after = t.GetProperty("afterOneRotation");
        var requester = Ipv4EndPoint.Parse(after.GetProperty("tokenFor").GetProperty("host").GetString() + ":1");
        var oldToken1 = tokens.Create(requester, 1);
        tokens.Rotate();
        Assert.Equal(after.GetProperty("secrets")[0].GetString(), ToHex(tokens.Secret0));
        Assert.Equal(after.GetProperty("secrets")[1].GetString(), ToHex(tokens.Secret1));
        Assert.Equal(after.GetProperty("tokenFor").GetProperty("secretIndex1").GetString(), ToHex(tokens.Create(requester, 1)));
        Assert.Equal(after.GetProperty("tokenFor").GetProperty("secretIndex0").GetString(), ToHex(tokens.Create(requester, 0)));
        Assert.True(tokens.IsValid(requester, oldToken1));
        tokens.Rotate();
        Assert.False(tokens.IsValid(requester, oldToken1));
    }

    public static TheoryData<string> Datagrams()
    {
        var d = new TheoryData<string>();
        foreach (var ex in Section.GetProperty("exchanges").EnumerateArray())
            foreach (var g in ex.GetProperty("datagrams").EnumerateArray())
                d.Add(g.GetProperty("datagram").GetString()!);
        foreach (var step in DhtVectors.GetProperty("hyperdht").GetProperty("transcript").GetProperty("steps").EnumerateArray())
            foreach (var g in step.GetProperty("datagrams").EnumerateArray())
                d.Add(g.GetProperty("datagram").GetString()!);
        return d;
    }

    [Theory]
    [MemberData(nameof(Datagrams))]
    public void DatagramsDecodeAndReencodeIdentically(string hex)
    {
        var bytes = Hex(hex);
        if (bytes[0] == DhtWire.RequestType)
        {
            Assert.True(DhtRequest.TryDecode(bytes, out var req));
            Assert.Equal(hex, ToHex(req.Encode()));
        }
        else
        {
            Assert.True(DhtResponse.TryDecode(bytes, out var res));
            Assert.Equal(hex, ToHex(res.Encode()));
        }
        // Every field up to the last is mandatory once its flag is set, so no truncation decodes.
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var truncated = bytes.AsSpan(0, cut);
            Assert.False(bytes[0] == DhtWire.RequestType ? DhtRequest.TryDecode(truncated, out _) : DhtResponse.TryDecode(truncated, out _));
        }
    }

    public static TheoryData<int> Exchanges()
    {
        var d = new TheoryData<int>();
        // The first seven are dht-rpc's own commands; the rest need hyperdht's storage (HyperDhtTranscriptTests).
        for (var i = 0; i < 7; i++) d.Add(i);
        return d;
    }

    [Theory]
    [MemberData(nameof(Exchanges))]
    public async Task NodeAAnswersEveryExchangeLikeJs(int index)
    {
        var exchange = Section.GetProperty("exchanges")[index];
        var datagrams = exchange.GetProperty("datagrams");
        await using var a = await VectorNodes.StartNodeAAsync();
        var request = datagrams[0];
        var bytes = Hex(request.GetProperty("datagram").GetString()!);
        a.Node.OnDatagram(a.Node.ServerSocket, bytes, VectorNodes.Source(request.GetProperty("from").GetString()!));
        await a.ExpectSentAsync(datagrams[1].GetProperty("datagram").GetString()!, VectorNodes.Address(datagrams[1].GetProperty("to").GetString()!));
    }
}
