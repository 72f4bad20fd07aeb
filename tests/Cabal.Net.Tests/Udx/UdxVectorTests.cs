using System.Text.Json;
using Cabal.Net.Udx;
using Cabal.Tests;

namespace Cabal.Net.Tests.Udx;

/// <summary>The UDX packets udx-native 1.21.3 put on the wire (../shared/interop/dht-vectors.json, section udx).</summary>
public sealed class UdxVectorTests
{
    private static readonly Lazy<JsonElement> s_udx = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Interop, "dht-vectors.json"))).RootElement.GetProperty("udx").Clone());

    public static TheoryData<string, string> Packets()
    {
        var d = new TheoryData<string, string>();
        foreach (var phase in s_udx.Value.GetProperty("phases").EnumerateArray())
            foreach (var p in phase.GetProperty("packets").EnumerateArray())
                d.Add(phase.GetProperty("phase").GetString() + ": " + p.GetProperty("label").GetString(), p.GetRawText());
        return d;
    }

    [Theory]
    [MemberData(nameof(Packets))]
    public void DecodesAndReEncodesEveryCapturedPacket(string name, string json)
    {
        var p = JsonDocument.Parse(json).RootElement;
        var datagram = Convert.FromHexString(p.GetProperty("datagram").GetString()!.Replace("...", ""));
        if (!p.TryGetProperty("header", out var expected))
        {
            // The plain datagram of the raw-datagram phase: not a UDX packet, the socket's handler gets it.
            Assert.False(UdxPacket.TryParse(datagram, out _), name);
            Assert.False(UdxPacket.TryReadStreamId(datagram, out _));
            return;
        }

        Assert.True(UdxPacket.TryParse(datagram, out var packet), name);
        var h = packet.Header;
        Assert.Equal(expected.GetProperty("type").GetInt32(), (int)h.Type);
        Assert.Equal(expected.GetProperty("dataOffset").GetInt32(), h.DataOffset);
        Assert.Equal(expected.GetProperty("remoteId").GetUInt32(), h.RemoteId);
        Assert.Equal(expected.GetProperty("recvWindow").GetUInt32(), h.ReceiveWindow);
        Assert.Equal(expected.GetProperty("seq").GetUInt32(), h.Seq);
        Assert.Equal(expected.GetProperty("ack").GetUInt32(), h.Ack);
        Assert.True(UdxPacket.TryReadStreamId(datagram, out var id));
        Assert.Equal(h.RemoteId, id);

        var flags = expected.GetProperty("typeFlags").EnumerateArray().Select(f => f.GetString()).ToHashSet();
        Assert.Equal(flags.Contains("DATA"), h.Has(UdxPacketType.Data));
        Assert.Equal(flags.Contains("END"), h.Has(UdxPacketType.End));
        Assert.Equal(flags.Contains("SACK"), h.Has(UdxPacketType.Sack));
        Assert.Equal(flags.Contains("MESSAGE"), h.Has(UdxPacketType.Message));
        Assert.Equal(flags.Contains("DESTROY"), h.Has(UdxPacketType.Destroy));
        Assert.Equal(flags.Contains("HEARTBEAT"), h.Has(UdxPacketType.Heartbeat));

        // Some vectors carry only the header (and padding) of a 1172-byte datagram.
        var truncated = p.TryGetProperty("datagramNote", out _);
        if (h.Has(UdxPacketType.Sack))
        {
            Assert.Equal(datagram, UdxPacket.Encode(h, packet.Body));
        }
        else if (!truncated)
        {
            Assert.Equal(p.GetProperty("payload").GetString(), Convert.ToHexStringLower(packet.Payload));
            Assert.Equal(p.GetProperty("payloadLength").GetInt32(), packet.Payload.Length);
            Assert.Equal(datagram, UdxPacket.Encode(h, packet.Payload));
        }
        else
        {
            var header = new byte[UdxPacket.HeaderSize];
            UdxPacket.WriteHeader(header, h);
            Assert.Equal(datagram.AsSpan(0, UdxPacket.HeaderSize).ToArray(), header);
        }
        if (p.TryGetProperty("padding", out var padding))
            Assert.Equal(padding.GetString(), Convert.ToHexStringLower(packet.Body[..h.DataOffset]));

        var sacks = p.TryGetProperty("sacks", out var s) ? s.EnumerateArray().Select(b => (b.GetProperty("start").GetUInt32(), b.GetProperty("end").GetUInt32())).ToList() : [];
        Assert.Equal(sacks.Count, packet.SackBlockCount);
        for (var i = 0; i < sacks.Count; i++) Assert.Equal(sacks[i], packet.SackBlock(i));
    }

    [Fact]
    public void StreamIdsOfTheCaptureAreTheDemuxKeys()
    {
        var ids = s_udx.Value.GetProperty("streamIds");
        var data = s_udx.Value.GetProperty("phases")[0].GetProperty("packets")[0];
        Assert.True(UdxPacket.TryReadStreamId(Convert.FromHexString(data.GetProperty("datagram").GetString()!), out var id));
        Assert.Equal(ids.GetProperty("b1").GetUInt32(), id); // a → b carries b's id
    }
}
