using Cabal.Net.Discovery;

namespace Cabal.Net.Tests.Discovery;

public sealed class DiscoveryCodecTests
{
    private static byte[] Key(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    private static byte[] Valid(DiscoveryPacketType type = DiscoveryPacketType.Announce, int port = 4000, int topics = 2)
        => DiscoveryCodec.Encode(new DiscoveryPacket(type, Key(9), port, Enumerable.Range(1, topics).Select(i => Key((byte)i)).ToArray()));

    [Theory]
    [InlineData(DiscoveryPacketType.Announce, 1, 1)]
    [InlineData(DiscoveryPacketType.Announce, 65535, 16)]
    [InlineData(DiscoveryPacketType.Query, 0, 3)]
    [InlineData(DiscoveryPacketType.Query, 4242, 1)]
    public void RoundTrips(DiscoveryPacketType type, int port, int topicCount)
    {
        var topics = Enumerable.Range(1, topicCount).Select(i => Key((byte)i)).ToArray();
        var bytes = DiscoveryCodec.Encode(new DiscoveryPacket(type, Key(0xaa), port, topics));
        Assert.Equal(DiscoveryCodec.HeaderSize + 32 * topicCount, bytes.Length);
        Assert.True(DiscoveryCodec.TryDecode(bytes, out var p, out var error), error);
        Assert.Equal(type, p!.Type);
        Assert.Equal(Key(0xaa), p.PeerId);
        Assert.Equal(port, p.Port);
        Assert.Equal(topics, p.Topics);
    }

    [Fact]
    public void LayoutIsFixed()
    {
        var bytes = DiscoveryCodec.Encode(new DiscoveryPacket(DiscoveryPacketType.Announce, Key(1), 0x1234, [Key(2)]));
        Assert.Equal("CBLD"u8.ToArray(), bytes[..4]);
        Assert.Equal([1, 1, 0, 1], bytes[4..8]);
        Assert.Equal(Key(1), bytes[8..40]);
        Assert.Equal([0x12, 0x34], bytes[40..42]);
        Assert.Equal(Key(2), bytes[42..]);
    }

    public static TheoryData<string, byte[]> Malformed()
    {
        var data = new TheoryData<string, byte[]>
        {
            { "too short", [] },
            { "too short", Valid()[..41] },
            { "length", Valid()[..^1] },
            { "length", [.. Valid(), 0] },
        };
        void Mutate(string reason, Action<byte[]> change)
        {
            var b = Valid();
            change(b);
            data.Add(reason, b);
        }
        Mutate("bad magic", b => b[0] = (byte)'X');
        Mutate("version", b => b[4] = 2);
        Mutate("unknown type", b => b[5] = 0);
        Mutate("unknown type", b => b[5] = 3);
        Mutate("topic count", b => b[7] = 0);
        Mutate("topic count", b => b[7] = 17);
        Mutate("length", b => b[7] = 3);
        Mutate("all-zero peer id", b => Array.Clear(b, 8, 32));
        Mutate("without a port", b => { b[40] = 0; b[41] = 0; });
        return data;
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void RejectsMalformedPackets(string reason, byte[] bytes)
    {
        Assert.False(DiscoveryCodec.TryDecode(bytes, out var p, out var error));
        Assert.Null(p);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void RandomAndMutatedInputNeverThrows()
    {
        var rng = new Random(4242);
        var accepted = 0;
        for (var i = 0; i < 20000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[rng.Next(0, 700)];
                rng.NextBytes(bytes);
            }
            else
            {
                bytes = Valid(topics: rng.Next(1, 17));
                for (var k = 0; k < rng.Next(1, 4); k++) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
            }
            if (DiscoveryCodec.TryDecode(bytes, out var p))
            {
                accepted++;
                Assert.InRange(p!.Topics.Count, 1, 16);
                Assert.Equal(32, p.PeerId.Length);
            }
        }
        Assert.InRange(accepted, 1, 20000);
    }

    [Fact]
    public void RepeatedTopicsCollapse()
    {
        var bytes = DiscoveryCodec.Encode(new DiscoveryPacket(DiscoveryPacketType.Announce, Key(1), 1, [Key(2), Key(2), Key(3)]));
        Assert.True(DiscoveryCodec.TryDecode(bytes, out var p));
        Assert.Equal([Key(2), Key(3)], p!.Topics);
    }

    [Fact]
    public void EncodeRejectsWhatTheFormatCannotCarry()
    {
        Assert.Throws<ArgumentException>(() => DiscoveryCodec.Encode(new DiscoveryPacket(DiscoveryPacketType.Announce, Key(1), 0, [Key(2)])));
        Assert.Throws<ArgumentException>(() => DiscoveryCodec.Encode(new DiscoveryPacket(DiscoveryPacketType.Query, Key(1), 70000, [Key(2)])));
        Assert.Throws<ArgumentException>(() => DiscoveryCodec.Encode(new DiscoveryPacket(DiscoveryPacketType.Announce, new byte[31], 1, [Key(2)])));
        Assert.Throws<ArgumentException>(() => DiscoveryCodec.Encode(new DiscoveryPacket(DiscoveryPacketType.Announce, Key(1), 1, [])));
        Assert.Throws<ArgumentException>(() => DiscoveryCodec.Encode(new DiscoveryPacket(DiscoveryPacketType.Announce, Key(1), 1, Enumerable.Repeat(Key(2), 17).ToArray())));
        Assert.Throws<ArgumentException>(() => DiscoveryCodec.Encode(new DiscoveryPacket(DiscoveryPacketType.Announce, Key(1), 1, [new byte[5]])));
    }
}
