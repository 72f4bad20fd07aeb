// Incremental frame parser for simple-message-channels 1.2.1 framing (spec/hypercore.md §7.1):
//   frame = varint(L) || varint(channel << 4 | type) || body,  L = header bytes + body bytes
//   L = 0 is a keep-alive; body limit 8 MiB; a length varint may use at most 8 bytes (the JS limit).
// Kestrel-style: pure, allocation-free, works on a SequenceReader over whatever has arrived. It either
// consumes exactly one whole frame and returns true, consumes nothing and returns false ("need more
// bytes"), or throws WireFormatException, after which the stream is unrecoverable (frame boundaries are
// lost), so the caller must end the connection.
using System.Buffers;

namespace Cabal.Net.Protocol;

public static class FrameParser
{
    /// <summary>Largest accepted body (8 MiB), as simple-message-channels' default maxSize.</summary>
    public const int MaxBodySize = 8 * 1024 * 1024;

    /// <summary>JS reads lengths as doubles and gives up after 8 varint bytes.</summary>
    public const int MaxLengthVarintBytes = 8;

    /// <summary>
    /// Parses one frame. A length over <paramref name="maxBodySize"/> (the connection's cap for its
    /// state, at most <see cref="MaxBodySize"/>) throws <see cref="FrameTooLargeException"/> as soon as
    /// the length is read, before any of the body is waited for.
    /// </summary>
    public static bool TryParse(ref SequenceReader<byte> reader, out Frame frame, int maxBodySize = MaxBodySize)
    {
        frame = default;
        var start = reader;

        switch (Varint.TryRead(ref reader, MaxLengthVarintBytes, out var length, out _))
        {
            case Varint.Status.NeedMore:
                return false;
            case Varint.Status.TooLong:
                throw new WireFormatException("Frame length varint is longer than 8 bytes.");
        }

        if (length == 0)
        {
            frame = Frame.KeepAlive;
            return true;
        }

        // The header takes at least one byte, so this bound rejects oversized frames before buffering them.
        if (length - 1 > MaxBodySize)
            throw new WireFormatException($"Frame of {length} bytes exceeds the {MaxBodySize}-byte limit.");
        if (length - 1 > (ulong)Math.Min(maxBodySize, MaxBodySize))
            throw new FrameTooLargeException(length, maxBodySize);

        if (reader.Remaining < (long)length)
        {
            reader = start;
            return false;
        }

        var content = reader.UnreadSequence.Slice(0, (long)length);
        var inner = new SequenceReader<byte>(content);
        var status = Varint.TryRead(ref inner, Varint.MaxLength, out var header, out var headerBytes);
        if (status != Varint.Status.Done)
            throw new WireFormatException(status == Varint.Status.NeedMore
                ? "Frame header varint runs past the end of the frame."
                : "Frame header varint is malformed.");

        var bodyLength = (long)length - headerBytes;
        if (bodyLength > MaxBodySize)
            throw new WireFormatException($"Frame body of {bodyLength} bytes exceeds the {MaxBodySize}-byte limit.");

        frame = new Frame(header >> 4, (MessageType)(header & 0x0f), content.Slice(headerBytes));
        reader.Advance((long)length);
        return true;
    }
}
