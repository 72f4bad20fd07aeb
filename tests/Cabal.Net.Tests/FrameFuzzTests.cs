using System.Buffers;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net.Tests;

/// <summary>
/// Bounded fuzzing with a fixed seed: whatever the bytes, framing and decoding either succeed, ask for
/// more input, or throw one of the wire layer's own exception types. Nothing else may escape.
/// </summary>
public class FrameFuzzTests
{
    private const int Iterations = 20_000;

    private static byte[] ValidStream(Random rng)
    {
        var w = new ArrayBufferWriter<byte>();
        var count = rng.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            var ch = (ulong)rng.Next(0, 400);
            switch (rng.Next(8))
            {
                case 0: FrameWriter.Write(w, ch, WireMessages.Open(new byte[32], new byte[32])); break;
                case 1: FrameWriter.Write(w, ch, WireMessages.Options(["a", "b"], rng.Next(2) == 0)); break;
                case 2: FrameWriter.Write(w, ch, new Have { Start = (ulong)rng.NextInt64(), Length = 5, Bitfield = ByteString.CopyFrom(1, 2, 3) }); break;
                case 3: FrameWriter.Write(w, ch, WireMessages.Request((ulong)rng.Next(), 0, true, 3)); break;
                case 4:
                    var d = new Data { Index = 2, Value = ByteString.CopyFrom(new byte[rng.Next(100)]), Signature = ByteString.CopyFrom(new byte[64]) };
                    d.Nodes.Add(new Data.Types.Node { Index = 1, Hash = ByteString.CopyFrom(new byte[32]), Size = 4 });
                    FrameWriter.Write(w, ch, d);
                    break;
                case 5: FrameWriter.WriteExtension(w, ch, (ulong)rng.Next(300), new byte[rng.Next(20)]); break;
                case 6: FrameWriter.WriteKeepAlive(w); break;
                default: FrameWriter.Write(w, ch, new Close()); break;
            }
        }
        return w.WrittenSpan.ToArray();
    }

    private static byte[] Mutate(byte[] data, Random rng)
    {
        var list = data.ToList();
        var edits = rng.Next(1, 6);
        for (var i = 0; i < edits && list.Count > 0; i++)
        {
            var pos = rng.Next(list.Count);
            switch (rng.Next(5))
            {
                case 0: list[pos] ^= (byte)(1 << rng.Next(8)); break;
                case 1: list[pos] = (byte)rng.Next(256); break;
                case 2: list.RemoveAt(pos); break;
                case 3: list.Insert(pos, (byte)rng.Next(256)); break;
                default: list.InsertRange(pos, Enumerable.Repeat((byte)0xff, rng.Next(1, 12))); break;
            }
        }
        return list.ToArray();
    }

    private static void Consume(ReadOnlySequence<byte> input)
    {
        var reader = new SequenceReader<byte>(input);
        try
        {
            while (FrameParser.TryParse(ref reader, out var frame))
            {
                if (frame.IsKeepAlive) continue;
                try
                {
                    if (frame.Type == MessageType.Extension) ProtocolMessage.DecodeExtension(frame.Channel, frame.Body);
                    else ProtocolMessage.Decode(frame.Channel, frame.Type, frame.Body);
                }
                catch (InvalidMessageException)
                {
                    // per-channel error; framing continues
                }
            }
        }
        catch (WireFormatException)
        {
            // stream-fatal; expected for garbage
        }
    }

    [Fact]
    public void RandomAndMutatedInputOnlyEverYieldsWireLayerExceptions()
    {
        var rng = new Random(20240601);
        for (var i = 0; i < Iterations; i++)
        {
            byte[] data;
            switch (i % 3)
            {
                case 0:
                    data = new byte[rng.Next(0, 64)];
                    rng.NextBytes(data);
                    break;
                case 1:
                    data = Mutate(ValidStream(rng), rng);
                    break;
                default:
                    // Mostly-valid frame prefix with random bodies of the declared length.
                    var body = new byte[rng.Next(0, 48)];
                    rng.NextBytes(body);
                    var w = new ArrayBufferWriter<byte>();
                    FrameWriter.WriteRaw(w, (ulong)rng.Next(0, 1000), (MessageType)rng.Next(16), body);
                    data = w.WrittenSpan.ToArray();
                    break;
            }
            Consume(new ReadOnlySequence<byte>(data));
            Consume(SequenceHelper.Split(data, rng, 1 + rng.Next(8)));
        }
    }
}
