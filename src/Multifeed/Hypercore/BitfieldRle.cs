// bitfield-rle 2.2.1 (spec/hypercore.md §3.2), the compression of Have.bitfield.
//   token = varint v;  v odd  → run of v>>2 bytes, ff if (v & 2) else 00
//                      v even → literal: the next v>>1 input bytes
// The encoder reproduces the JS greedy choice byte for byte (trailing 00 trimmed, a run is split out of
// the pending literal only when that is strictly cheaper), so Haves we send are identical to a JS peer's.
// Sizes: a 1 KiB data page of all-ff encodes to 2 bytes; the worst case is a little above the input
// (≈ n + n/64 + 10: JS splits off a 1-byte run whenever that saves a literal-length varint byte), and
// Encode measures exactly before writing, so no size guess is involved.
// The decoder is fed by remote peers, so it bounds the decoded size before allocating anything.
using System.Buffers;

namespace Cabal.Multifeed.Hypercore;

/// <summary>A bitfield-rle input that cannot be decoded (truncated token, literal past the end, too large).</summary>
public sealed class InvalidBitfieldException(string message) : FormatException(message);

public static class BitfieldRle
{
    /// <summary>Exact number of bytes <see cref="Encode(ReadOnlySpan{byte}, Span{byte})"/> writes for <paramref name="bitfield"/>.</summary>
    public static int GetEncodedLength(ReadOnlySpan<byte> bitfield)
    {
        var w = new Writer(default, measureOnly: true);
        Run(bitfield, ref w);
        return w.Position;
    }

    /// <summary>Encodes into <paramref name="destination"/> (size it with <see cref="GetEncodedLength"/>); returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> bitfield, Span<byte> destination)
    {
        var needed = GetEncodedLength(bitfield);
        if (destination.Length < needed) throw new ArgumentException($"Destination needs {needed} bytes.", nameof(destination));
        var w = new Writer(destination, measureOnly: false);
        Run(bitfield, ref w);
        return w.Position;
    }

    public static byte[] Encode(ReadOnlySpan<byte> bitfield)
    {
        var o = new byte[GetEncodedLength(bitfield)];
        var w = new Writer(o, measureOnly: false);
        Run(bitfield, ref w);
        return o;
    }

    /// <summary>
    /// What a JS uploader puts in Have.bitfield for a Want (hypercore lib/bitfield.js compress): the RLE of
    /// the data bits <paramref name="startBit"/> … +<paramref name="bitCount"/>, clipped to what the bitfield
    /// holds; <c>(0, 0)</c> means the whole bitfield. <paramref name="startBit"/> must be a multiple of 8.
    /// </summary>
    public static byte[] EncodeRange(SparseBitfield bits, ulong startBit, ulong bitCount)
    {
        ArgumentNullException.ThrowIfNull(bits);
        if ((startBit & 7) != 0) throw new ArgumentException("A Have bitfield must start on a byte boundary.", nameof(startBit));
        if (startBit == 0 && bitCount == 0) bitCount = bits.Length;
        // Beyond Length every bit is clear and would be trimmed anyway; clipping keeps a hostile
        // Want{length: 2^60} from sizing our buffer.
        var available = bits.Length > startBit ? bits.Length - startBit : 0;
        if (bitCount > available) bitCount = available;
        var byteCount = (bitCount + 7) >> 3;
        if (byteCount == 0) return [];
        if (byteCount > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(bitCount), "Range too large to encode.");
        var buf = ArrayPool<byte>.Shared.Rent((int)byteCount);
        try
        {
            var span = buf.AsSpan(0, (int)byteCount);
            bits.CopyBytes(startBit >> 3, span);
            if ((bitCount & 7) != 0) span[^1] &= (byte)(0xFF << (8 - (int)(bitCount & 7)));
            return Encode(span);
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
    }

    /// <summary>Decoded size in bytes (before alignment), validating the token stream.</summary>
    public static int GetDecodedLength(ReadOnlySpan<byte> encoded, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        ulong total = 0;
        var pos = 0;
        while (pos < encoded.Length)
        {
            var v = ReadVarint(encoded, ref pos);
            var len = (v & 1) != 0 ? v >> 2 : v >> 1;
            if ((v & 1) == 0)
            {
                if (len > (ulong)(encoded.Length - pos)) throw new InvalidBitfieldException("Invalid RLE bitfield: literal runs past the end of the input.");
                pos += (int)len;
            }
            // len ≤ 2^63 and total ≤ maxLength < 2^31 here, so the sum cannot wrap.
            total += len;
            if (total > (ulong)maxLength) throw new InvalidBitfieldException($"Invalid RLE bitfield: decodes to more than {maxLength} bytes.");
        }
        return (int)total;
    }

    /// <summary>
    /// Decodes a bitfield. <paramref name="align"/> = 4 pads the result with zero bytes to a multiple of
    /// 4 as hypercore's replicate.js does; <paramref name="maxLength"/> bounds the unpadded size.
    /// </summary>
    public static byte[] Decode(ReadOnlySpan<byte> encoded, int maxLength, int align = 1)
    {
        if (align <= 0 || (align & (align - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(align), "Alignment must be a power of two.");
        var length = GetDecodedLength(encoded, maxLength);
        var padded = (long)length + ((align - (length & (align - 1))) & (align - 1));
        var output = new byte[padded];
        var pos = 0;
        var ptr = 0;
        while (pos < encoded.Length)
        {
            var v = ReadVarint(encoded, ref pos);
            if ((v & 1) != 0)
            {
                var len = (int)(v >> 2);
                if ((v & 2) != 0) output.AsSpan(ptr, len).Fill(0xFF);
                ptr += len;
            }
            else
            {
                var len = (int)(v >> 1);
                encoded.Slice(pos, len).CopyTo(output.AsSpan(ptr));
                pos += len;
                ptr += len;
            }
        }
        return output;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> s, ref int pos)
    {
        var n = Cabal.Net.Protocol.Varint.TryRead(s[pos..], Cabal.Net.Protocol.Varint.MaxLength, out var v);
        if (n == 0) throw new InvalidBitfieldException("Invalid RLE bitfield: truncated varint.");
        if (n < 0) throw new InvalidBitfieldException("Invalid RLE bitfield: varint too long.");
        pos += n;
        return v;
    }

    private static int VarintLength(ulong v) => Cabal.Net.Protocol.Varint.Length(v);

    // The JS rle(): scan for runs of 00/ff; each finished run is either split off (emitting the pending
    // literal before it) or left inside the pending literal, whichever JS's cost rule picks.
    private static void Run(ReadOnlySpan<byte> input, ref Writer w)
    {
        var n = input.Length;
        while (n > 0 && input[n - 1] == 0) n--;
        input = input[..n];

        var pending = 0;          // start of the not-yet-emitted input
        byte runByte = 0;
        var runLen = 0;
        for (var i = 0; i < n; i++)
        {
            if (input[i] == runByte) { runLen++; continue; }
            if (runLen > 0) Consider(input, ref w, ref pending, i, runLen, runByte);
            if (input[i] is 0 or 0xFF) { runByte = input[i]; runLen = 1; }
            else runLen = 0;
        }
        if (runLen > 0) Consider(input, ref w, ref pending, n, runLen, runByte);
        if (pending < n) w.Literal(input[pending..n]);
    }

    private static void Consider(ReadOnlySpan<byte> input, ref Writer w, ref int pending, int end, int runLen, byte runByte)
    {
        var lit = end - runLen - pending;
        var token = 4UL * (ulong)runLen + (runByte != 0 ? 2UL : 0UL) + 1;
        var split = (lit > 0 ? VarintLength(2UL * (ulong)lit) + lit : 0) + VarintLength(token);
        var merged = VarintLength(2UL * (ulong)(end - pending)) + (end - pending);
        if (split >= merged) return;
        if (lit > 0) w.Literal(input[pending..(end - runLen)]);
        w.Varint(token);
        pending = end;
    }

    private ref struct Writer
    {
        private readonly Span<byte> _out;
        private readonly bool _measureOnly;
        public int Position;

        public Writer(Span<byte> output, bool measureOnly)
        {
            _out = output;
            _measureOnly = measureOnly;
        }

        public void Varint(ulong v)
        {
            Position += _measureOnly ? VarintLength(v) : Cabal.Net.Protocol.Varint.Write(_out[Position..], v);
        }

        public void Literal(ReadOnlySpan<byte> bytes)
        {
            Varint(2UL * (ulong)bytes.Length);
            if (!_measureOnly) bytes.CopyTo(_out[Position..]);
            Position += bytes.Length;
        }
    }
}
