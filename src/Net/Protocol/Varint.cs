// Unsigned LEB128 varints (the protobuf varint): 7 data bits per byte, least significant group first,
// high bit set on every byte but the last. The one implementation in the repo: frame lengths, frame
// headers, handshake message lengths and extension ids (spec/hypercore.md §7.1), hypercore's RLE
// bitfields and the multifeed length-sync message use it. A ulong needs at most 10 bytes.
using System.Buffers;

namespace Cabal.Net.Protocol;

public static class Varint
{
    public const int MaxLength = 10;

    public static int Length(ulong value)
    {
        var n = 1;
        while (value >= 0x80) { value >>= 7; n++; }
        return n;
    }

    public static int Write(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public enum Status { Done, NeedMore, TooLong }

    /// <summary>
    /// Reads a varint of at most <paramref name="maxBytes"/> bytes. On NeedMore and TooLong the reader
    /// is left where it was. Bits beyond 64 make the value too long as well (never silently wrapped).
    /// </summary>
    public static Status TryRead(ref SequenceReader<byte> reader, int maxBytes, out ulong value, out int bytesRead)
    {
        value = 0;
        bytesRead = 0;
        var probe = reader;
        var shift = 0;
        while (probe.TryRead(out var b))
        {
            bytesRead++;
            if (shift == 63 && (b & 0x7e) != 0) return Status.TooLong;
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                reader = probe;
                return Status.Done;
            }
            if (bytesRead >= maxBytes) return Status.TooLong;
            shift += 7;
        }
        return Status.NeedMore;
    }

    /// <summary>Span form; returns the bytes consumed, 0 if the input ends mid-varint, -1 if too long.</summary>
    public static int TryRead(ReadOnlySpan<byte> source, int maxBytes, out ulong value)
    {
        value = 0;
        var shift = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            if (shift == 63 && (b & 0x7e) != 0) return -1;
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return i + 1;
            if (i + 1 >= maxBytes) return -1;
            shift += 7;
        }
        return 0;
    }
}
