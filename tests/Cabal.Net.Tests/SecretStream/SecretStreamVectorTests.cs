using System.Buffers;
using System.Text.Json;
using Cabal.Net.SecretStream;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests.SecretStream;

/// <summary>dht-vectors.json secretStream: ids, header frames, data frames and unordered-message boxes, byte for byte.</summary>
public class SecretStreamVectorTests
{
    private static JsonElement Section => DhtVectors.GetProperty("secretStream");

    private static byte[] Hash => Hex(Section.GetProperty("handshakeHash").GetString()!);

    private static SecretStreamCodec Codec(string role, bool dropKeepAlives = false)
    {
        var r = Section.GetProperty(role);
        return new SecretStreamCodec(r.GetProperty("isInitiator").GetBoolean(), Hex(r.GetProperty("tx").GetString()!), Hex(r.GetProperty("rx").GetString()!),
            Hash, dropKeepAlives, Hex(r.GetProperty("secretstreamHeader").GetString()!));
    }

    [Fact]
    public void NamespacesAndStreamIdsMatch()
    {
        var ns = Section.GetProperty("namespaces");
        Assert.Equal(ns.GetProperty("NS_INITIATOR").GetString(), ToHex(SecretStreamKeys.Initiator));
        Assert.Equal(ns.GetProperty("NS_RESPONDER").GetString(), ToHex(SecretStreamKeys.Responder));
        Assert.Equal(ns.GetProperty("NS_SEND").GetString(), ToHex(SecretStreamKeys.Send));
        Assert.Equal(Section.GetProperty("initiator").GetProperty("streamId").GetString(), ToHex(SecretStreamKeys.StreamId(Hash, true)));
        Assert.Equal(Section.GetProperty("responder").GetProperty("streamId").GetString(), ToHex(SecretStreamKeys.StreamId(Hash, false)));
    }

    [Theory]
    [InlineData("initiator", "responder")]
    [InlineData("responder", "initiator")]
    public void FramesMatchAndTheOtherSideReadsThem(string sender, string receiver)
    {
        using var tx = Codec(sender);
        using var rx = Codec(receiver);
        var s = Section.GetProperty(sender);
        Assert.Equal(s.GetProperty("headerFrame").GetString(), ToHex(tx.HeaderFrame));

        var stream = new List<byte>(tx.HeaderFrame);
        foreach (var f in s.GetProperty("dataFrames").EnumerateArray())
        {
            var frame = tx.EncodeFrame(Hex(f.GetProperty("plaintext").GetString()!));
            Assert.Equal(f.GetProperty("frame").GetString(), ToHex(frame));
            stream.AddRange(frame);
        }

        // Feed the receiver one byte at a time: frames may be split anywhere.
        var output = new ArrayBufferWriter<byte>();
        var delivered = new List<string>();
        var pending = new List<byte>();
        var headerSeen = false;
        foreach (var b in stream)
        {
            pending.Add(b);
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(pending.ToArray()));
            while (rx.TryReadFrame(ref reader, output, out _))
            {
                if (!headerSeen)
                {
                    headerSeen = true;
                    Assert.True(rx.HeaderReceived);
                    Assert.Equal(0, output.WrittenCount);
                    continue;
                }
                delivered.Add(ToHex(output.WrittenSpan));
                output.Clear();
            }
            pending.RemoveRange(0, (int)reader.Consumed);
        }
        Assert.Equal(s.GetProperty("dataFrames").EnumerateArray().Select(f => f.GetProperty("plaintext").GetString()), delivered);
    }

    [Fact]
    public void UnorderedMessagesMatchAndOpen()
    {
        var i = Section.GetProperty("initiator");
        Assert.Equal(i.GetProperty("unorderedSend").GetProperty("key").GetString(), ToHex(SecretStreamKeys.SendKey(Hash, true)));
        Assert.Equal(Section.GetProperty("responder").GetProperty("unorderedSend").GetProperty("key").GetString(), ToHex(SecretStreamKeys.SendKey(Hash, false)));
        var box = new UnorderedMessageBox(Hash, true, Hex(i.GetProperty("unorderedSend").GetProperty("initialCounter").GetString()!));
        var peer = new UnorderedMessageBox(Hash, false);
        foreach (var m in Section.GetProperty("unorderedMessages").GetProperty("fromInitiator").EnumerateArray())
        {
            var sealedBox = box.Seal(Hex(m.GetProperty("plaintext").GetString()!))!;
            Assert.Equal(m.GetProperty("box").GetString(), ToHex(sealedBox));
            Assert.True(peer.TryOpen(sealedBox, out var opened));
            Assert.Equal(m.GetProperty("plaintext").GetString(), ToHex(opened));
            sealedBox[^1] ^= 1;
            Assert.False(peer.TryOpen(sealedBox, out _));
            Assert.False(box.TryOpen(sealedBox, out _));
        }
        Assert.False(peer.TryOpen(new byte[20], out _));
    }

    [Fact]
    public void BadHeadersAndFramesAreFatal()
    {
        var output = new ArrayBufferWriter<byte>();
        using (var rx = Codec("responder"))
            Assert.Throws<SecretStreamException>(() => Read(rx, Hex("0500000102030405"), output));
        using (var rx = Codec("responder"))
        {
            var header = Codec("responder").HeaderFrame; // the responder's own id, not the initiator's
            Assert.Throws<SecretStreamException>(() => Read(rx, header, output));
        }
        using (var rx = Codec("responder"))
        {
            using var tx = Codec("initiator");
            Read(rx, tx.HeaderFrame, output);
            Assert.Throws<SecretStreamException>(() => Read(rx, [.. Hex("100000"), .. new byte[16]], output));
        }
        using (var rx = Codec("responder"))
        {
            using var tx = Codec("initiator");
            Read(rx, tx.HeaderFrame, output);
            var frame = tx.EncodeFrame("hello"u8);
            frame[5] ^= 1;
            Assert.Throws<SecretStreamException>(() => Read(rx, frame, output));
        }
    }

    private static void Read(SecretStreamCodec codec, byte[] data, IBufferWriter<byte> output)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(data));
        while (codec.TryReadFrame(ref reader, output, out _)) { }
    }
}
