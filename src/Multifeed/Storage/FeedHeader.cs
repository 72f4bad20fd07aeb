// The per-feed header record in the `feeds` table. Everything needed to open a feed is here, so
// opening every feed is one cursor pass over one table. Layout (version 2, big-endian integers):
//   version u8 | flags u8 (bit0: has secret key) | publicKey 32 | secretKey 64 (if bit0)
//   length u64 | byteLength u64 | contiguous u64 | signedLength u64 | signature 64 (all zero = none)
//   rootCount u8 | rootCount × (index u64 | size u64 | hash 32)
//   groupLen u8 | group | nameLen u16 | name (UTF-8)
// `contiguous` counts the blocks 0..n-1 all held, so a complete feed needs no bitfield lookups.
// `signedLength` is the longest this feed is known to have been signed: every append writes it in
// the same commit as its blocks, and evidence found elsewhere (the views, a peer) can raise it. A
// writer shorter than it has lost signed blocks and must not append (see Feed.Append.cs).
// Version 1 has no signedLength (it equals length). A header whose signedLength is its length, the
// usual case, is still written as version 1, so older builds keep reading the store.
using System.Buffers.Binary;
using System.Text;
using Cabal.Multifeed.Hypercore;

namespace Cabal.Multifeed.Storage;

internal sealed record FeedHeader
{
    private const byte Version = 2;
    private const byte Version1 = 1;
    private const byte FlagSecret = 1;

    public required byte[] PublicKey { get; init; }
    public byte[]? SecretKey { get; init; }
    public ulong Length { get; init; }
    public ulong ByteLength { get; init; }
    public ulong Contiguous { get; init; }
    public ulong SignedLength { get; init; }
    public byte[]? Signature { get; init; }
    public TreeNode[] Roots { get; init; } = [];
    public byte[] Group { get; init; } = [];
    public string? Name { get; init; }

    public byte[] Serialize()
    {
        var name = Name is null ? [] : Encoding.UTF8.GetBytes(Name);
        if (Group.Length > 255) throw new ArgumentException("A feed group is at most 255 bytes.");
        if (name.Length > ushort.MaxValue) throw new ArgumentException("A feed name is at most 65535 bytes.");
        var v2 = SignedLength > Length;
        var size = 2 + 32 + (SecretKey is null ? 0 : 64) + (v2 ? 32 : 24) + 64 + 1 + Roots.Length * 48 + 1 + Group.Length + 2 + name.Length;
        var buf = new byte[size];
        var w = buf.AsSpan();
        w[0] = v2 ? Version : Version1;
        w[1] = SecretKey is null ? (byte)0 : FlagSecret;
        w = w[2..];
        PublicKey.CopyTo(w); w = w[32..];
        if (SecretKey is not null) { SecretKey.CopyTo(w); w = w[64..]; }
        BinaryPrimitives.WriteUInt64BigEndian(w, Length);
        BinaryPrimitives.WriteUInt64BigEndian(w[8..], ByteLength);
        BinaryPrimitives.WriteUInt64BigEndian(w[16..], Contiguous);
        if (v2) BinaryPrimitives.WriteUInt64BigEndian(w[24..], SignedLength);
        w = w[(v2 ? 32 : 24)..];
        Signature?.CopyTo(w);
        w = w[64..];
        w[0] = checked((byte)Roots.Length);
        w = w[1..];
        foreach (var r in Roots)
        {
            BinaryPrimitives.WriteUInt64BigEndian(w, r.Index);
            BinaryPrimitives.WriteUInt64BigEndian(w[8..], r.Size);
            r.Hash.CopyTo(w[16..]);
            w = w[48..];
        }
        w[0] = (byte)Group.Length;
        Group.CopyTo(w[1..]);
        w = w[(1 + Group.Length)..];
        BinaryPrimitives.WriteUInt16BigEndian(w, (ushort)name.Length);
        name.CopyTo(w[2..]);
        return buf;
    }

    /// <summary>Where the parts a store indexes at open sit in a raw header.</summary>
    public readonly record struct Layout(int PublicKeyOffset, int GroupOffset, int GroupLength);

    /// <summary>
    /// Checks a stored header's structure without allocating, and locates its key and group, so
    /// opening a store can defer the full parse to first use. Same rules as <see cref="Parse"/>.
    /// </summary>
    public static Layout Validate(ReadOnlySpan<byte> r)
    {
        var reader = new Reader(r);
        var flags = ReadStart(ref reader, out var version);
        reader.Bytes(32);
        if ((flags & FlagSecret) != 0) reader.Bytes(64);
        var length = reader.U64();
        reader.U64();
        var contiguous = reader.U64();
        if (version == Version) reader.U64();
        reader.Bytes(64);
        var rootCount = reader.Byte();
        reader.Bytes(rootCount * 48);
        var groupLength = reader.Byte();
        var groupOffset = r.Length - reader.Remaining;
        reader.Bytes(groupLength);
        reader.Bytes(reader.U16());
        if (!reader.AtEnd) throw new StorageCorruptException("Feed header has trailing bytes.");
        if (contiguous > length || rootCount != FlatTree.RootCount(length))
            throw new StorageCorruptException("Feed header length, contiguous count and roots disagree.");
        return new Layout(2, groupOffset, groupLength);
    }

    // The version (1 or 2) and the flags, which every reader starts with.
    private static byte ReadStart(ref Reader reader, out byte version)
    {
        version = reader.Byte();
        if (version is not (Version or Version1)) throw new StorageCorruptException($"Feed header version {version} is not supported.");
        return reader.Byte();
    }

    /// <summary>Just the length of a stored header (checked on every append against what this process expects).</summary>
    public static ulong ReadLength(ReadOnlySpan<byte> r)
    {
        var reader = new Reader(r);
        var flags = ReadStart(ref reader, out _);
        reader.Bytes(32);
        if ((flags & FlagSecret) != 0) reader.Bytes(64);
        return reader.U64();
    }

    /// <summary>Parses a stored header; any truncation or inconsistency is a <see cref="StorageCorruptException"/>.</summary>
    public static FeedHeader Parse(ReadOnlySpan<byte> r)
    {
        var reader = new Reader(r);
        var flags = ReadStart(ref reader, out var version);
        var pk = reader.Bytes(32).ToArray();
        var sk = (flags & FlagSecret) != 0 ? reader.Bytes(64).ToArray() : null;
        var length = reader.U64();
        var byteLength = reader.U64();
        var contiguous = reader.U64();
        var signedLength = version == Version ? reader.U64() : length;
        var sig = reader.Bytes(64);
        var signature = sig.ContainsAnyExcept((byte)0) ? sig.ToArray() : null;
        var rootCount = reader.Byte();
        var roots = new TreeNode[rootCount];
        for (var i = 0; i < rootCount; i++)
        {
            var index = reader.U64();
            var size = reader.U64();
            roots[i] = new TreeNode(index, reader.Bytes(32).ToArray(), size);
        }
        var group = reader.Bytes(reader.Byte()).ToArray();
        var nameLen = reader.U16();
        var name = nameLen == 0 ? null : Encoding.UTF8.GetString(reader.Bytes(nameLen));
        if (!reader.AtEnd) throw new StorageCorruptException("Feed header has trailing bytes.");
        if (contiguous > length || roots.Length != FlatTree.RootCount(length))
            throw new StorageCorruptException("Feed header length, contiguous count and roots disagree.");
        return new FeedHeader
        {
            PublicKey = pk, SecretKey = sk, Length = length, ByteLength = byteLength, Contiguous = contiguous,
            SignedLength = Math.Max(signedLength, length),
            Signature = signature, Roots = roots, Group = group, Name = name,
        };
    }

    private ref struct Reader(ReadOnlySpan<byte> span)
    {
        private ReadOnlySpan<byte> _s = span;

        public readonly bool AtEnd => _s.IsEmpty;

        public readonly int Remaining => _s.Length;

        public ReadOnlySpan<byte> Bytes(int n)
        {
            if (_s.Length < n) throw new StorageCorruptException("Feed header is truncated.");
            var v = _s[..n];
            _s = _s[n..];
            return v;
        }

        public byte Byte() => Bytes(1)[0];
        public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Bytes(2));
        public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Bytes(8));
    }
}
