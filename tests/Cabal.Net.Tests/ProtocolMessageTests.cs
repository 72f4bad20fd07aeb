using System.Buffers;
using System.Text.Json;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests;

public class ProtocolMessageTests
{
    private static readonly MessageDescriptor[] s_byType =
    [
        Open.Descriptor, Options.Descriptor, Status.Descriptor, Have.Descriptor, Unhave.Descriptor, Want.Descriptor,
        Unwant.Descriptor, Request.Descriptor, Cancel.Descriptor, Data.Descriptor, Close.Descriptor,
    ];

    public static TheoryData<int> MessageIndexes()
    {
        var d = new TheoryData<int>();
        var n = Vectors.GetProperty("protocol").GetProperty("messages").GetArrayLength();
        for (var i = 0; i < n; i++) d.Add(i);
        return d;
    }

    private static JsonElement Vector(int i) => Vectors.GetProperty("protocol").GetProperty("messages")[i];

    // Builds the message the way the JS side did: every property present in the JSON is "set".
    private static IMessage Build(MessageDescriptor descriptor, JsonElement json)
    {
        var message = descriptor.Parser.ParseFrom(ReadOnlySpan<byte>.Empty);
        foreach (var p in json.EnumerateObject())
        {
            var field = descriptor.FindFieldByName(p.Name) ?? throw new InvalidOperationException("unknown field " + p.Name);
            if (field.IsRepeated)
            {
                var list = (System.Collections.IList)field.Accessor.GetValue(message);
                foreach (var item in p.Value.EnumerateArray()) list.Add(Scalar(field, item));
            }
            else
            {
                field.Accessor.SetValue(message, Scalar(field, p.Value));
            }
        }
        return message;
    }

    private static object Scalar(FieldDescriptor field, JsonElement v) => field.FieldType switch
    {
        FieldType.Bytes => ByteString.CopyFrom(Hex(v.GetString()!)),
        FieldType.String => v.GetString()!,
        FieldType.Bool => v.GetBoolean(),
        FieldType.UInt64 => v.GetUInt64(),
        FieldType.Message => Build(field.MessageType, v),
        _ => throw new NotSupportedException(field.FieldType.ToString()),
    };

    // Compares what a decoded message reads as (defaults applied) with the JS decoder's view.
    private static void AssertDecoded(IMessage message, JsonElement expected)
    {
        var descriptor = message.Descriptor;
        foreach (var p in expected.EnumerateObject())
        {
            var field = descriptor.FindFieldByName(p.Name)!;
            if (field.IsRepeated)
            {
                var list = ((System.Collections.IList)field.Accessor.GetValue(message)).Cast<object>().ToArray();
                var items = p.Value.EnumerateArray().ToArray();
                Assert.Equal(items.Length, list.Length);
                for (var i = 0; i < items.Length; i++)
                {
                    if (field.FieldType == FieldType.Message) AssertDecoded((IMessage)list[i], items[i]);
                    else Assert.Equal(Scalar(field, items[i]), list[i]);
                }
            }
            else if (p.Value.ValueKind == JsonValueKind.Null)
            {
                Assert.False(field.Accessor.HasValue(message), $"{descriptor.Name}.{p.Name} should be absent");
            }
            else
            {
                Assert.Equal(Scalar(field, p.Value), field.Accessor.GetValue(message));
            }
        }
    }

    [Theory]
    [MemberData(nameof(MessageIndexes))]
    public void VectorMessagesEncodeDecodeAndFrameLikeJs(int index)
    {
        var v = Vector(index);
        var type = (MessageType)v.GetProperty("type").GetInt32();
        var message = Build(s_byType[(int)type], v.GetProperty("message"));
        Assert.Equal(type, ProtocolMessage.TypeOf(message));
        Assert.Equal(v.GetProperty("encoded").GetString(), ToHex(message.ToByteArray()));

        var decoded = ProtocolMessage.Decode(0, type, new ReadOnlySequence<byte>(Hex(v.GetProperty("encoded").GetString()!)));
        Assert.NotNull(decoded);
        AssertDecoded(decoded, v.GetProperty("decoded"));

        foreach (var f in v.GetProperty("frames").EnumerateArray())
        {
            var channel = f.GetProperty("channel").GetUInt64();
            var w = new ArrayBufferWriter<byte>();
            FrameWriter.Write(w, channel, message);
            Assert.Equal(f.GetProperty("frame").GetString(), ToHex(w.WrittenSpan));
            Assert.Equal(w.WrittenCount, FrameWriter.GetFrameSize(channel, type, message.CalculateSize()));

            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(w.WrittenMemory));
            Assert.True(FrameParser.TryParse(ref reader, out var frame));
            Assert.Equal(0, reader.Remaining);
            Assert.Equal(channel, frame.Channel);
            Assert.Equal(type, frame.Type);
            Assert.Equal(f.GetProperty("header").GetUInt64(), frame.Channel << 4 | (byte)frame.Type);
            Assert.Equal(message, ProtocolMessage.Decode(frame.Channel, frame.Type, frame.Body));
        }
    }

    [Fact]
    public void ExtensionFramesMatchJs()
    {
        foreach (var v in Vectors.GetProperty("protocol").GetProperty("extensionFrames").EnumerateArray())
        {
            var id = v.GetProperty("id").GetUInt64();
            var payload = Hex(v.GetProperty("payload").GetString()!);
            foreach (var f in v.GetProperty("frames").EnumerateArray())
            {
                var channel = f.GetProperty("channel").GetUInt64();
                var w = new ArrayBufferWriter<byte>();
                FrameWriter.WriteExtension(w, channel, id, payload);
                Assert.Equal(f.GetProperty("frame").GetString(), ToHex(w.WrittenSpan));

                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(w.WrittenMemory));
                Assert.True(FrameParser.TryParse(ref reader, out var frame));
                Assert.Equal(MessageType.Extension, frame.Type);
                Assert.Equal(channel, frame.Channel);
                Assert.Equal(v.GetProperty("body").GetString(), ToHex(frame.Body.ToArray()));
                var ext = ProtocolMessage.DecodeExtension(frame.Channel, frame.Body);
                Assert.Equal(id, ext.Id);
                Assert.Equal(payload, ext.Payload.ToArray());
            }
        }
    }

    [Fact]
    public void KeepAliveIsASingleZeroByte()
    {
        var w = new ArrayBufferWriter<byte>();
        FrameWriter.WriteKeepAlive(w);
        Assert.Equal(Vectors.GetProperty("protocol").GetProperty("keepAlive").GetString(), ToHex(w.WrittenSpan));
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(w.WrittenMemory));
        Assert.True(FrameParser.TryParse(ref reader, out var frame));
        Assert.True(frame.IsKeepAlive);
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    // Spec §7.4 plaintext frame examples.
    [InlineData("05120801100" + "0", 1UL, MessageType.Status)]
    [InlineData("03130802", 1UL, MessageType.Have)]
    [InlineData("0b1308001080804" + "01a0202e0", 1UL, MessageType.Have)]
    [InlineData("0917080210001800200" + "0", 1UL, MessageType.Request)]
    [InlineData("011a", 1UL, MessageType.Close)]
    [InlineData("06c22508001001", 300UL, MessageType.Status)]
    public void SpecFrameExamplesRoundTrip(string hex, ulong channel, MessageType type)
    {
        var bytes = Hex(hex);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.True(FrameParser.TryParse(ref reader, out var frame));
        Assert.Equal(channel, frame.Channel);
        Assert.Equal(type, frame.Type);
        var message = ProtocolMessage.Decode(frame.Channel, frame.Type, frame.Body)!;
        var w = new ArrayBufferWriter<byte>();
        FrameWriter.Write(w, channel, message);
        Assert.Equal(hex, ToHex(w.WrittenSpan));
    }

    [Fact]
    public void WireMessageFactoriesWriteEveryField()
    {
        Assert.Equal("08001000", ToHex(WireMessages.Status(false, false).ToByteArray()));
        Assert.Equal("0802100018002000", ToHex(WireMessages.Request(2).ToByteArray()));
        Assert.Equal("0a047a6574611000", ToHex(WireMessages.Options(["zeta"], ack: false).ToByteArray()));
        Assert.Equal("080010808040", ToHex(WireMessages.Want(0, 1048576).ToByteArray()));
    }

    [Theory]
    [InlineData(MessageType.Open, "")]            // discoveryKey missing
    [InlineData(MessageType.Open, "1202abcd")]    // only capability
    [InlineData(MessageType.Have, "1001")]        // start missing
    [InlineData(MessageType.Unhave, "")]
    [InlineData(MessageType.Want, "1000")]
    [InlineData(MessageType.Unwant, "")]
    [InlineData(MessageType.Request, "1801")]
    [InlineData(MessageType.Cancel, "")]
    [InlineData(MessageType.Data, "1201ff")]
    [InlineData(MessageType.Data, "08001a020801")] // node without hash and size
    [InlineData(MessageType.Have, "08")]           // truncated varint
    [InlineData(MessageType.Open, "0a05aa")]       // truncated bytes
    [InlineData(MessageType.Status, "0a05")]       // truncated length-delimited field
    public void MissingRequiredOrCorruptBodiesAreInvalidMessages(MessageType type, string hex)
    {
        var e = Assert.Throws<InvalidMessageException>(() => ProtocolMessage.Decode(5, type, new ReadOnlySequence<byte>(Hex(hex))));
        Assert.Equal(5UL, e.Channel);
        Assert.Equal(type, e.Type);
    }

    [Fact]
    public void UnknownFieldsAreSkippedAndUnassignedTypesIgnored()
    {
        // Have{start:4} followed by an unknown field 9 (varint 1).
        var have = (Have)ProtocolMessage.Decode(1, MessageType.Have, new ReadOnlySequence<byte>(Hex("08044801")))!;
        Assert.Equal(4UL, have.Start);
        Assert.Equal(1UL, have.Length);
        Assert.Equal("0804", ToHex(have.ToByteArray()));
        for (var t = 11; t <= 14; t++)
            Assert.Null(ProtocolMessage.Decode(1, (MessageType)t, new ReadOnlySequence<byte>(Hex("ffff"))));
    }

    [Fact]
    public void BadExtensionIdIsAnInvalidMessage()
    {
        Assert.Throws<InvalidMessageException>(() => ProtocolMessage.DecodeExtension(0, ReadOnlySequence<byte>.Empty));
        Assert.Throws<InvalidMessageException>(() => ProtocolMessage.DecodeExtension(0, new ReadOnlySequence<byte>(Hex("ff"))));
    }
}
