// Key layouts of the view tables. Channel names are arbitrary text (JS has no limit, LMDB keys
// have one of 511 bytes), so a channel is keyed by the first 16 bytes of SHA-256 of its UTF-8 name
// and the name itself is kept in `chnames`. Timestamps are encoded so that byte order is numeric
// order; the author key and seq after the timestamp make ties unique and ordered the same way on
// every peer (cabal-core keys by (channel, timestamp) alone and lets the later one overwrite).
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;

namespace Cabal.Chat.Views;

internal static class ViewKeys
{
    public const int ChannelSize = 16;
    public const int UserSize = 32;
    public const int TimeSize = 8;
    public const int PositionSize = TimeSize + UserSize + 8;          // ts, author, seq
    public const int MessageSize = ChannelSize + PositionSize;

    public static byte[] Channel(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        return hash[..ChannelSize].ToArray();
    }

    /// <summary>IEEE-754 bits made byte-sortable: flip the sign bit of positives, all bits of negatives.</summary>
    public static void Time(double ts, Span<byte> dest)
    {
        if (ts == 0) ts = 0; // -0 sorts with 0
        var bits = BitConverter.DoubleToInt64Bits(ts);
        var u = bits < 0 ? ~(ulong)bits : (ulong)bits | 0x8000_0000_0000_0000UL;
        BinaryPrimitives.WriteUInt64BigEndian(dest, u);
    }

    public static double ReadTime(ReadOnlySpan<byte> src)
    {
        var u = BinaryPrimitives.ReadUInt64BigEndian(src);
        var bits = (u & 0x8000_0000_0000_0000UL) != 0 ? u & 0x7FFF_FFFF_FFFF_FFFFUL : ~u;
        return BitConverter.Int64BitsToDouble((long)bits);
    }

    /// <summary>prefix || ts || author || seq.</summary>
    public static byte[] Positioned(ReadOnlySpan<byte> prefix, double ts, ReadOnlySpan<byte> author, ulong seq)
    {
        var k = new byte[prefix.Length + PositionSize];
        prefix.CopyTo(k);
        Time(ts, k.AsSpan(prefix.Length));
        author.CopyTo(k.AsSpan(prefix.Length + TimeSize));
        BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(prefix.Length + TimeSize + UserSize), seq);
        return k;
    }

    /// <summary>Reads (ts, author, seq) from the tail of a positioned key.</summary>
    public static (double Ts, byte[] Author, ulong Seq) ReadPosition(ReadOnlySpan<byte> key, int prefixLength)
    {
        var p = key[prefixLength..];
        return (ReadTime(p), p.Slice(TimeSize, UserSize).ToArray(), BinaryPrimitives.ReadUInt64BigEndian(p[(TimeSize + UserSize)..]));
    }

    /// <summary>
    /// A range bound for <paramref name="pos"/>: the exact key of a message position, or for a bare
    /// timestamp the key just below all its ties (<paramref name="pastTies"/> false) or just above
    /// them (true: the encoding of the next representable double). Callers treat an exact key as
    /// exclusive and a bare-timestamp bound as inclusive-of-nothing-at-that-timestamp.
    /// </summary>
    public static byte[] Bound(ReadOnlySpan<byte> prefix, MessagePosition pos, bool pastTies)
    {
        if (pos.Author is { } author)
            return Positioned(prefix, pos.Timestamp, CabalKeys.ParseBytes(author, "author key"), pos.Seq);
        var k = new byte[prefix.Length + TimeSize];
        prefix.CopyTo(k);
        Time(pos.Timestamp, k.AsSpan(prefix.Length));
        if (pastTies)
        {
            var u = BinaryPrimitives.ReadUInt64BigEndian(k.AsSpan(prefix.Length));
            if (u != ulong.MaxValue) BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(prefix.Length), u + 1);
        }
        return k;
    }

    public static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var k = new byte[a.Length + b.Length];
        a.CopyTo(k);
        b.CopyTo(k.AsSpan(a.Length));
        return k;
    }

    public static byte[] U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        return b;
    }

    public static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);
}
