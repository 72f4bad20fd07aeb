using Cabal.Multifeed.Hypercore;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests;

public class BitfieldRleTests
{
    public static TheoryData<string, string, string, string, int> VectorCases()
    {
        var d = new TheoryData<string, string, string, string, int>();
        foreach (var c in Vectors.GetProperty("bitfieldRle").GetProperty("cases").EnumerateArray())
            d.Add(c.GetProperty("name").GetString()!, c.GetProperty("bitfield").GetString()!, c.GetProperty("encoded").GetString()!,
                c.GetProperty("decoded").GetString()!, c.GetProperty("decodedAlign4Length").GetInt32());
        return d;
    }

    [Theory]
    [MemberData(nameof(VectorCases))]
    public void MatchesJsVectors(string name, string bitfield, string encoded, string decoded, int align4Length)
    {
        var input = Hex(bitfield);
        Assert.True(input.Length > 0, name);
        Assert.Equal(encoded, ToHex(BitfieldRle.Encode(input)));
        Assert.Equal(encoded.Length / 2, BitfieldRle.GetEncodedLength(input));
        Assert.Equal(decoded, ToHex(BitfieldRle.Decode(Hex(encoded), maxLength: 1 << 20)));

        var aligned = BitfieldRle.Decode(Hex(encoded), maxLength: 1 << 20, align: 4);
        Assert.Equal(align4Length, aligned.Length);
        Assert.Equal(decoded, ToHex(aligned.AsSpan(0, decoded.Length / 2)));
        Assert.All(aligned.Skip(decoded.Length / 2), b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData("e0", "02e0")]
    [InlineData("ffffffe0", "0f02e0")]
    [InlineData("ffff000000ff", "0b0d07")]
    [InlineData("000000000001", "150201")]
    [InlineData("ff12ff", "070412ff")]
    [InlineData("000000", "")]
    [InlineData("", "")]
    public void SpecWorkedExamples(string input, string expected)
    {
        Assert.Equal(expected, ToHex(BitfieldRle.Encode(Hex(input))));
        Assert.Equal(input.TrimEnd('0').Length == 0 ? "" : input, ToHex(BitfieldRle.Decode(Hex(expected), 1024)));
    }

    [Fact]
    public void WorstCaseSplitsMatchJs()
    {
        // 10 × (63 noise bytes, one 00) + 55: JS splits off each 1-byte zero run because a 63-byte literal
        // has a 1-byte length varint and a 64-byte one a 2-byte varint. JS: 652 bytes, starting 7e 55 55 55.
        var input = new List<byte>();
        for (var i = 0; i < 10; i++) { input.AddRange(Enumerable.Repeat((byte)0x55, 63)); input.Add(0); }
        input.Add(0x55);
        var enc = BitfieldRle.Encode(input.ToArray());
        Assert.Equal(652, enc.Length);
        Assert.Equal("7e555555", ToHex(enc.AsSpan(0, 4)));
        Assert.Equal(input.ToArray(), BitfieldRle.Decode(enc, input.Count));
    }

    [Fact]
    public void RunOf1024FfIsTwoBytes()
    {
        var ones = Enumerable.Repeat((byte)0xFF, 1024).ToArray();
        Assert.Equal("8320", ToHex(BitfieldRle.Encode(ones)));
        Assert.Equal(ones, BitfieldRle.Decode(Hex("8320"), 1024));
    }

    [Fact]
    public void EncodeIntoSpanReportsLengthAndRejectsShortDestination()
    {
        var input = Hex("ffffffe0");
        var dest = new byte[8];
        Assert.Equal(3, BitfieldRle.Encode(input, dest));
        Assert.Equal("0f02e0", ToHex(dest.AsSpan(0, 3)));
        Assert.Throws<ArgumentException>(() => BitfieldRle.Encode(input, new byte[2]));
    }

    [Fact]
    public void RoundTripsRandomBitfields()
    {
        var rng = new Random(20240607);
        for (var iter = 0; iter < 2000; iter++)
        {
            var len = rng.Next(0, iter < 1500 ? 64 : 4096);
            var b = new byte[len];
            // Mix runs of 00/ff with noise, which is what real bitfields look like.
            for (var i = 0; i < len;)
            {
                var run = rng.Next(1, 40);
                var kind = rng.Next(4);
                for (var j = 0; j < run && i < len; j++, i++)
                    b[i] = kind switch { 0 => 0, 1 => 0xFF, 2 => (byte)rng.Next(256), _ => (byte)(rng.Next(2) == 0 ? 0 : 0xFF) };
            }
            var enc = BitfieldRle.Encode(b);
            Assert.True(enc.Length <= len + len / 64 + 10, "never much worse than one literal");
            var dec = BitfieldRle.Decode(enc, maxLength: len);
            var trimmed = b.AsSpan(0, b.AsSpan().LastIndexOfAnyExcept((byte)0) + 1).ToArray();
            Assert.Equal(trimmed, dec);
            var dec4 = BitfieldRle.Decode(enc, maxLength: len, align: 4);
            Assert.Equal(0, dec4.Length % 4);
            Assert.True(dec4.Length - dec.Length < 4);
        }
    }

    [Theory]
    [InlineData("0412")]      // literal of 2, only 1 byte follows
    [InlineData("02")]        // literal of 1, nothing follows
    [InlineData("80")]        // varint never ends
    [InlineData("ffffffffffffffffffff01")] // varint longer than 64 bits
    public void MalformedInputThrowsInvalidBitfield(string encoded)
        => Assert.Throws<InvalidBitfieldException>(() => BitfieldRle.Decode(Hex(encoded), 1 << 20));

    [Theory]
    [InlineData("8320", 1023)]                       // 1024 ff with room for 1023
    [InlineData("ffffffffffffffff7f", 1 << 20)]      // a run of ~2^61 bytes
    [InlineData("0d0d0d0d", 11)]                     // 4 × 3 zero bytes, in small steps
    public void OversizedOutputIsRefusedBeforeAllocating(string encoded, int max)
        => Assert.Throws<InvalidBitfieldException>(() => BitfieldRle.Decode(Hex(encoded), max));

    [Fact]
    public void HaveReplyToWant0MatchesVector()
    {
        var v = TestFeed.FeedVector.GetProperty("haveBitfieldReplyToWant0");
        var data = new SparseBitfield();
        data.SetRange(0, 16, true);
        var want = v.GetProperty("want");
        var rle = BitfieldRle.EncodeRange(data, want.GetProperty("start").GetUInt64(), want.GetProperty("length").GetUInt64());
        Assert.Equal(v.GetProperty("bitfield").GetString(), ToHex(rle));
        Assert.Equal(v.GetProperty("decoded").GetString(), ToHex(BitfieldRle.Decode(rle, 1 << 17)));
        Assert.Equal("ffff0000", ToHex(BitfieldRle.Decode(rle, 1 << 17, align: 4)));
        // Want{start:0} without length means "the whole bitfield".
        Assert.Equal("0b", ToHex(BitfieldRle.EncodeRange(data, 0, 0)));
    }

    [Fact]
    public void EncodeRangeSlicesAndClips()
    {
        var data = new SparseBitfield();
        data.SetRange(0, 3, true);                 // 3 blocks → e0
        Assert.Equal("02e0", ToHex(BitfieldRle.EncodeRange(data, 0, 1 << 20)));
        data.Set(8192 + 1, true);                  // second Want range starts at 8192
        Assert.Equal("0240", ToHex(BitfieldRle.EncodeRange(data, 8192, 8192)));
        Assert.Equal("", ToHex(BitfieldRle.EncodeRange(data, 1 << 20, 1 << 20)));
        Assert.Equal("", ToHex(BitfieldRle.EncodeRange(new SparseBitfield(), 0, 1 << 20)));
        // A hostile length is clipped to what we hold rather than allocated.
        Assert.Equal("02c0", ToHex(BitfieldRle.EncodeRange(data, 0, 2))); // a partial last byte is masked
        Assert.NotEmpty(BitfieldRle.EncodeRange(data, 0, ulong.MaxValue - 8));
        Assert.Throws<ArgumentException>(() => BitfieldRle.EncodeRange(data, 3, 8));
    }
}
