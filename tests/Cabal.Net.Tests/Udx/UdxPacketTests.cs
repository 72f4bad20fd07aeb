using Cabal.Net.Udx;

namespace Cabal.Net.Tests.Udx;

public sealed class UdxPacketTests
{
    private static readonly UdxHeader Data = new(UdxPacketType.Data, 0, 7, 4 * 1024 * 1024, 3, 9);

    [Fact]
    public void RoundTripsEveryHeaderField()
    {
        var h = new UdxHeader(UdxPacketType.Data | UdxPacketType.End, 0, 0xdeadbeef, 12345, 0xfffffffe, 0x80000001);
        var bytes = UdxPacket.Encode(h, "abc"u8);
        Assert.Equal(23, bytes.Length);
        Assert.Equal([0xff, 0x01, 0x03, 0x00, 0xef, 0xbe, 0xad, 0xde], bytes[..8]);
        Assert.True(UdxPacket.TryParse(bytes, out var p));
        Assert.Equal(h, p.Header);
        Assert.Equal("abc"u8.ToArray(), p.Payload.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("ff")]
    [InlineData("ff01000000000000000000000000000000000000"  + "")] // 20 bytes: valid
    [InlineData("ff010000000000000000000000000000000000")]  // 19 bytes
    [InlineData("fe01000000000000000000000000000000000000")] // bad magic
    [InlineData("ff02000000000000000000000000000000000000")] // bad version
    [InlineData("0300000000000000000000000000000000000000")] // a dht-rpc request
    public void OnlyTwentyBytesStartingFF01AreUdx(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        var expected = bytes.Length >= 20 && bytes[0] == 0xff && bytes[1] == 0x01;
        Assert.Equal(expected, UdxPacket.TryParse(bytes, out _));
        Assert.Equal(expected, UdxPacket.IsUdx(bytes));
    }

    [Fact]
    public void PayloadStartsAfterTheDataOffset()
    {
        var bytes = UdxPacket.Encode(Data with { DataOffset = 32 }, "payload"u8);
        Assert.True(UdxPacket.TryParse(bytes, out var p));
        Assert.True(p.OffsetIsValid);
        Assert.Equal("payload"u8.ToArray(), p.Payload.ToArray());
        Assert.Equal(new byte[32], p.Body[..32].ToArray());
    }

    [Fact]
    public void ADataOffsetPastTheEndIsInvalidNotAnException()
    {
        var bytes = UdxPacket.Encode(Data, "xy"u8);
        bytes[3] = 3; // two bytes follow the header
        Assert.True(UdxPacket.TryParse(bytes, out var p));
        Assert.False(p.OffsetIsValid);
        Assert.True(p.Payload.IsEmpty);
    }

    [Fact]
    public void SackBlockCountFollowsLibudx()
    {
        var body = new byte[8 * 3 + 5];
        UdxPacket.WriteSackBlock(body, 0, 10, 12);
        UdxPacket.WriteSackBlock(body, 1, 14, 15);
        UdxPacket.WriteSackBlock(body, 2, 20, 30);
        var bytes = UdxPacket.Encode(Data with { Type = UdxPacketType.Sack }, body);
        Assert.True(UdxPacket.TryParse(bytes, out var p));
        Assert.Equal(3, p.SackBlockCount); // (len - 20) / 8, the 5 trailing bytes ignored
        Assert.Equal((14u, 15u), p.SackBlock(1));

        // A non-zero data offset shorter than the body is the size of the SACK area.
        bytes[3] = 16;
        Assert.True(UdxPacket.TryParse(bytes, out p));
        Assert.Equal(2, p.SackBlockCount);

        // Without the SACK flag there are no blocks.
        Assert.True(UdxPacket.TryParse(UdxPacket.Encode(Data, body), out p));
        Assert.Equal(0, p.SackBlockCount);
    }

    [Fact]
    public void SequenceComparisonWrapsModulo32Bits()
    {
        Assert.True(Seq.Lt(0xffffffff, 0));
        Assert.True(Seq.Gt(1, 0xfffffff0));
        Assert.Equal(2, Seq.Diff(1, 0xffffffff));
        Assert.True(Seq.Le(5, 5) && Seq.Ge(5, 5));
    }
}
