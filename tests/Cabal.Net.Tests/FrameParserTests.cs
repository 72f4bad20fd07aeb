using System.Buffers;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests;

public class FrameParserTests
{
    private static List<Frame> ParseAll(ReadOnlySequence<byte> input, out long consumed)
    {
        var frames = new List<Frame>();
        var reader = new SequenceReader<byte>(input);
        while (FrameParser.TryParse(ref reader, out var f)) frames.Add(f);
        consumed = reader.Consumed;
        return frames;
    }

    private static byte[] SampleStream()
    {
        var w = new ArrayBufferWriter<byte>();
        FrameWriter.Write(w, 1, WireMessages.Status(true, false));
        FrameWriter.WriteKeepAlive(w);
        FrameWriter.Write(w, 300, new Data { Index = 9, Value = ByteString.CopyFrom(new byte[1000]) });
        FrameWriter.WriteExtension(w, 0, 200, "x"u8);
        FrameWriter.WriteRaw(w, 7, (MessageType)12, [1, 2, 3]);
        FrameWriter.Write(w, 2, new Close());
        return w.WrittenSpan.ToArray();
    }

    [Fact]
    public void ParsesAStreamSplitAnywhere()
    {
        var bytes = SampleStream();
        var expected = ParseAll(new ReadOnlySequence<byte>(bytes), out var all);
        Assert.Equal(bytes.Length, all);
        Assert.Equal(6, expected.Count);
        Assert.True(expected[1].IsKeepAlive);
        Assert.Equal((MessageType)12, expected[4].Type);

        var rng = new Random(7);
        for (var i = 0; i < 100; i++)
        {
            var frames = ParseAll(SequenceHelper.Split(bytes, rng, maxSegment: 1 + rng.Next(40)), out var consumed);
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(expected.Select(f => f.ToString()), frames.Select(f => f.ToString()));
            Assert.Equal(expected[2].Body.ToArray(), frames[2].Body.ToArray());
        }
    }

    [Fact]
    public void EveryPrefixNeedsMoreBytesWithoutConsuming()
    {
        var w = new ArrayBufferWriter<byte>();
        FrameWriter.Write(w, 300, new Data { Index = 1, Value = ByteString.CopyFrom(new byte[200]) });
        var bytes = w.WrittenSpan.ToArray();
        for (var n = 0; n < bytes.Length; n++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, n));
            Assert.False(FrameParser.TryParse(ref reader, out _));
            Assert.Equal(0, reader.Consumed);
        }
    }

    [Theory]
    [InlineData("808080808080808001")]   // 9-byte length varint
    [InlineData("8080808080808080")]     // 8 bytes, still continuing
    [InlineData("8280800401")]           // length 8 MiB + 2: rejected before the body arrives
    [InlineData("0180")]                 // header varint runs past the frame
    [InlineData("02ffff")]
    [InlineData("0affffffffffffffffff7f")] // header varint beyond 64 bits
    public void MalformedFramingThrowsWireFormatException(string hex)
    {
        Assert.Throws<WireFormatException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Hex(hex)));
            FrameParser.TryParse(ref reader, out _);
        });
    }

    [Fact]
    public void BodyLimitIsExactlyEightMiB()
    {
        var body = new byte[FrameParser.MaxBodySize];
        var w = new ArrayBufferWriter<byte>();
        FrameWriter.WriteRaw(w, 1, MessageType.Data, body);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(w.WrittenMemory));
        Assert.True(FrameParser.TryParse(ref reader, out var frame));
        Assert.Equal(body.Length, frame.Body.Length);

        // One byte more, with a 2-byte header so the length itself is still within the early bound.
        var over = new byte[Varint.MaxLength];
        var n = Varint.Write(over, (ulong)FrameParser.MaxBodySize + 2);
        var data = over[..n].Concat(new byte[] { 0x81, 0x01 }).Concat(new byte[FrameParser.MaxBodySize + 1]).ToArray();
        Assert.Throws<WireFormatException>(() =>
        {
            var r = new SequenceReader<byte>(new ReadOnlySequence<byte>(data));
            FrameParser.TryParse(ref r, out _);
        });
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteRaw(new ArrayBufferWriter<byte>(), 1, MessageType.Data, new byte[FrameParser.MaxBodySize + 1]));
    }

    [Fact]
    public void LargeChannelIdsRoundTrip()
    {
        var w = new ArrayBufferWriter<byte>();
        const ulong channel = (1UL << 60) - 1;
        FrameWriter.Write(w, channel, new Close());
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(w.WrittenMemory));
        Assert.True(FrameParser.TryParse(ref reader, out var frame));
        Assert.Equal(channel, frame.Channel);
        Assert.Equal(MessageType.Close, frame.Type);
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.Write(new ArrayBufferWriter<byte>(), 1UL << 60, new Close()));
    }
}
