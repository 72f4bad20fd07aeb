// Frame encoder for simple-message-channels framing (spec/hypercore.md §7.1, §7.3):
//   varint(L) || varint(channel << 4 | type) || body,   L = len(header varint) + len(body)
// Each frame is produced with one GetSpan/Advance pair on the IBufferWriter, so a writer that
// transforms bytes on Advance (the transport cipher) sees whole frames.
using System.Buffers;
using Google.Protobuf;

namespace Cabal.Net.Protocol;

public static class FrameWriter
{
    /// <summary>Bytes on the wire for a frame with a body of <paramref name="bodyLength"/> bytes.</summary>
    public static int GetFrameSize(ulong channel, MessageType type, int bodyLength)
    {
        var inner = Varint.Length(Header(channel, type)) + bodyLength;
        return Varint.Length((ulong)inner) + inner;
    }

    /// <summary>Writes one protobuf message frame; the type comes from the message's class.</summary>
    public static void Write(IBufferWriter<byte> writer, ulong channel, IMessage message)
    {
        var type = ProtocolMessage.TypeOf(message);
        var bodyLength = message.CalculateSize();
        CheckBody(bodyLength);
        var size = GetFrameSize(channel, type, bodyLength);
        var span = writer.GetSpan(size)[..size];
        var n = WritePrefix(span, channel, type, bodyLength);
        message.WriteTo(span[n..]);
        writer.Advance(size);
    }

    /// <summary>Writes an extension frame: body = varint(extension id) || payload.</summary>
    public static void WriteExtension(IBufferWriter<byte> writer, ulong channel, ulong extensionId, ReadOnlySpan<byte> payload)
    {
        var bodyLength = Varint.Length(extensionId) + payload.Length;
        CheckBody(bodyLength);
        var size = GetFrameSize(channel, MessageType.Extension, bodyLength);
        var span = writer.GetSpan(size)[..size];
        var n = WritePrefix(span, channel, MessageType.Extension, bodyLength);
        n += Varint.Write(span[n..], extensionId);
        payload.CopyTo(span[n..]);
        writer.Advance(size);
    }

    /// <summary>Writes a raw body with an arbitrary type (0..15); used by tests and for forwarding.</summary>
    public static void WriteRaw(IBufferWriter<byte> writer, ulong channel, MessageType type, ReadOnlySpan<byte> body)
    {
        if ((byte)type > 15) throw new ArgumentOutOfRangeException(nameof(type), "A frame type has 4 bits.");
        CheckBody(body.Length);
        var size = GetFrameSize(channel, type, body.Length);
        var span = writer.GetSpan(size)[..size];
        var n = WritePrefix(span, channel, type, body.Length);
        body.CopyTo(span[n..]);
        writer.Advance(size);
    }

    /// <summary>Span form of <see cref="Write(IBufferWriter{byte}, ulong, IMessage)"/> for a known body length.</summary>
    internal static int Write(Span<byte> destination, ulong channel, IMessage message, MessageType type, int bodyLength)
    {
        var size = GetFrameSize(channel, type, bodyLength);
        var n = WritePrefix(destination, channel, type, bodyLength);
        message.WriteTo(destination.Slice(n, bodyLength));
        return size;
    }

    /// <summary>Span form of <see cref="WriteExtension"/>; the destination must hold the whole frame.</summary>
    internal static int WriteExtension(Span<byte> destination, ulong channel, ulong extensionId, ReadOnlySpan<byte> payload)
    {
        var bodyLength = Varint.Length(extensionId) + payload.Length;
        var n = WritePrefix(destination, channel, MessageType.Extension, bodyLength);
        n += Varint.Write(destination[n..], extensionId);
        payload.CopyTo(destination[n..]);
        return n + payload.Length;
    }

    internal static int ExtensionFrameSize(ulong channel, ulong extensionId, int payloadLength)
    {
        var bodyLength = Varint.Length(extensionId) + payloadLength;
        CheckBody(bodyLength);
        return GetFrameSize(channel, MessageType.Extension, bodyLength);
    }

    internal static int MessageFrameSize(ulong channel, IMessage message, out MessageType type, out int bodyLength)
    {
        type = ProtocolMessage.TypeOf(message);
        bodyLength = message.CalculateSize();
        CheckBody(bodyLength);
        return GetFrameSize(channel, type, bodyLength);
    }

    /// <summary>The keep-alive ping: a zero length, i.e. the single byte 00.</summary>
    public static void WriteKeepAlive(IBufferWriter<byte> writer)
    {
        writer.GetSpan(1)[0] = 0;
        writer.Advance(1);
    }

    private static int WritePrefix(Span<byte> span, ulong channel, MessageType type, int bodyLength)
    {
        var header = Header(channel, type);
        var n = Varint.Write(span, (ulong)(Varint.Length(header) + bodyLength));
        return n + Varint.Write(span[n..], header);
    }

    private static ulong Header(ulong channel, MessageType type)
    {
        // Four bits go to the type, so ids must fit in 60 bits; JS itself is limited to far less.
        if (channel >= 1UL << 60) throw new ArgumentOutOfRangeException(nameof(channel), "Channel id does not fit in a frame header.");
        return channel << 4 | (byte)type;
    }

    private static void CheckBody(int bodyLength)
    {
        // The peer would treat a larger frame as a fatal stream error, so refuse to produce one.
        if (bodyLength > FrameParser.MaxBodySize)
            throw new ArgumentException($"Message body of {bodyLength} bytes exceeds the {FrameParser.MaxBodySize}-byte frame limit.");
    }
}
