using System.Text.Json;
using Cabal.Net.Compact;
using Cabal.Net.Tests.Dht;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests.HyperDht;

/// <summary>
/// dht-vectors.json hyperdht.transcript (and the dhtRpc exchanges that need storage): node A runs our
/// HyperDHT command handlers; every datagram A sends in the JS transcript, we send byte for byte —
/// lookups, announces (and the refused bad token), find-peer, the relayed handshake and holepunch, the
/// mutable and immutable values, the unannounce.
/// </summary>
public class HyperDhtTranscriptTests
{
    [Fact]
    public async Task NodeAReproducesTheTranscript()
    {
        await using var a = await VectorNodes.StartNodeAAsync(withHyperDht: true);
        var aAddress = VectorNodes.AddressOf("A");
        var steps = DhtVectors.GetProperty("hyperdht").GetProperty("transcript").GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(13, steps.Count);
        foreach (var step in steps) await PlayAsync(a, aAddress, step);
        Assert.NotNull(a.HyperDht!.Storage);
        Assert.Equal(0, a.HyperDht.Storage!.RefusedSignatures);
    }

    [Fact]
    public async Task NodeAAnswersTheStorageExchanges()
    {
        await using var a = await VectorNodes.StartNodeAAsync(withHyperDht: true);
        var exchanges = DhtVectors.GetProperty("dhtRpc").GetProperty("exchanges").EnumerateArray().Skip(7).ToList();
        Assert.Equal(3, exchanges.Count);
        foreach (var e in exchanges) await PlayAsync(a, VectorNodes.AddressOf("A"), e);
    }

    [Fact]
    public async Task ForgedAnnounceSignatureIsRefusedWithoutReply()
    {
        await using var a = await VectorNodes.StartNodeAAsync(withHyperDht: true);
        var steps = DhtVectors.GetProperty("hyperdht").GetProperty("transcript").GetProperty("steps");
        await PlayAsync(a, VectorNodes.AddressOf("A"), steps[0]);
        var announce = Hex(steps[1].GetProperty("datagrams")[0].GetProperty("datagram").GetString()!);
        announce[^5] ^= 1; // inside the signature
        a.Node.OnDatagram(a.Node.ServerSocket, announce, VectorNodes.Source(steps[1].GetProperty("datagrams")[0].GetProperty("from").GetString()!));
        await Task.Delay(200);
        Assert.Empty(a.Network.Sent);
        Assert.Equal(1, a.HyperDht!.Storage!.RefusedSignatures);
        Assert.Equal(0, a.HyperDht.Storage.RecordCount);
        Assert.Null(a.HyperDht.Router.Get(Hex(steps[0].GetProperty("datagrams")[0].GetProperty("fields").GetProperty("target").GetString()!)));
    }

    private static async Task PlayAsync(VectorNodes a, Ipv4EndPoint aAddress, JsonElement step)
    {
        foreach (var d in step.GetProperty("datagrams").EnumerateArray())
        {
            var from = VectorNodes.Source(d.GetProperty("from").GetString()!);
            var hex = d.GetProperty("datagram").GetString()!;
            if (from == aAddress) await a.ExpectSentAsync(hex, VectorNodes.Address(d.GetProperty("to").GetString()!));
            else a.Node.OnDatagram(a.Node.ServerSocket, Hex(hex), from);
        }
    }
}
