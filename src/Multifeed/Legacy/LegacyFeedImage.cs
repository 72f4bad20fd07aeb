// The files hypercore 9 would hold for a feed (spec/hypercore.md §4.1), built in memory from its
// nodes, signatures and blocks, so they can be compared, tested and written in one place:
//   key, secret_key (writers), localname (multifeed writers), tree (node n at 32 + 40n),
//   signatures (signature for length i+1 at 32 + 64i), data (block i at Σ sizes of fullRoots(2i)),
//   bitfield (data, tree and index bits; LegacyBitfield).
// Absent records are zeros, as in hypercore's sparse files. An empty feed gets headers and keys only.
using System.Buffers.Binary;
using System.Text;
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;

namespace Cabal.Multifeed.Legacy;

public static class LegacyFeedImage
{
    /// <summary>File name → contents for <paramref name="feed"/>'s directory.</summary>
    public static IReadOnlyDictionary<string, byte[]> Build(LegacyFeed feed)
    {
        ArgumentNullException.ThrowIfNull(feed);
        if (feed.PublicKey.Length != 32) throw new ArgumentException("A feed key is 32 bytes.", nameof(feed));
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [LegacyFeedFiles.KeyFile] = feed.PublicKey.ToArray(),
            [LegacyFeedFiles.TreeFile] = Tree(feed.Nodes, out var treeBits, out var sizes),
            [LegacyFeedFiles.SignaturesFile] = Signatures(feed.Signatures),
        };
        if (feed.SecretKey is { } sk) files[LegacyFeedFiles.SecretKeyFile] = sk.ToArray();
        if (feed.Name is { Length: > 0 } name) files[LegacyFeedFiles.LocalNameFile] = Encoding.UTF8.GetBytes(name);
        var dataBits = new SparseBitfield(LegacyBitfield.DataBytesPerPage);
        if (feed.Blocks.Count > 0) files[LegacyFeedFiles.DataFile] = Data(feed.Blocks, sizes, dataBits);
        files[LegacyFeedFiles.BitfieldFile] = LegacyBitfield.Build(dataBits, treeBits);
        return files;
    }

    private static byte[] Tree(IReadOnlyList<TreeNode> nodes, out SparseBitfield bits, out Dictionary<ulong, ulong> sizes)
    {
        bits = new SparseBitfield(LegacyBitfield.TreeBytesPerPage);
        sizes = new Dictionary<ulong, ulong>(nodes.Count);
        ulong count = 0;
        foreach (var n in nodes) count = Math.Max(count, n.Index + 1);
        var file = new byte[SleepHeader.Size + checked((int)count * SleepHeader.TreeEntrySize)];
        SleepHeader.Tree.ToBytes().CopyTo(file, 0);
        foreach (var n in nodes)
        {
            if (n.Hash.Length != TreeNode.HashSize) throw new ArgumentException($"Tree node {n.Index} has a {n.Hash.Length}-byte hash.");
            var record = file.AsSpan(SleepHeader.Size + (int)n.Index * SleepHeader.TreeEntrySize, SleepHeader.TreeEntrySize);
            n.Hash.CopyTo(record);
            BinaryPrimitives.WriteUInt64BigEndian(record[32..], n.Size);
            bits.Set(n.Index, true);
            sizes[n.Index] = n.Size;
        }
        return file;
    }

    private static byte[] Signatures(IReadOnlyList<(ulong Index, byte[] Signature)> signatures)
    {
        ulong count = 0;
        foreach (var (i, _) in signatures) count = Math.Max(count, i + 1);
        var file = new byte[SleepHeader.Size + checked((int)count * SleepHeader.SignatureEntrySize)];
        SleepHeader.Signatures.ToBytes().CopyTo(file, 0);
        foreach (var (i, sig) in signatures)
        {
            if (sig.Length != SleepHeader.SignatureEntrySize) throw new ArgumentException($"Signature {i} is {sig.Length} bytes.");
            sig.CopyTo(file, SleepHeader.Size + (int)i * SleepHeader.SignatureEntrySize);
        }
        return file;
    }

    private static byte[] Data(IReadOnlyList<VerifiedBlock> blocks, Dictionary<ulong, ulong> sizes, SparseBitfield bits)
    {
        var roots = new List<ulong>(64);
        var placed = new (ulong Offset, VerifiedBlock Block)[blocks.Count];
        ulong end = 0, next = 0, nextIndex = 0;
        for (var k = 0; k < blocks.Count; k++)
        {
            var b = blocks[k];
            var offset = b.Index == nextIndex ? next : OffsetOf(b.Index, sizes, roots);
            placed[k] = (offset, b);
            next = offset + (ulong)b.Data.Length;
            nextIndex = b.Index + 1;
            end = Math.Max(end, next);
            bits.Set(b.Index, true);
        }
        var file = new byte[checked((int)end)];
        foreach (var (offset, b) in placed) b.Data.Span.CopyTo(file.AsSpan((int)offset));
        return file;
    }

    private static ulong OffsetOf(ulong index, Dictionary<ulong, ulong> sizes, List<ulong> roots)
    {
        FlatTree.FullRoots(2 * index, roots);
        ulong offset = 0;
        foreach (var r in roots)
            offset += sizes.TryGetValue(r, out var s) ? s : throw new ArgumentException($"Block {index} cannot be placed: tree node {r} is missing.");
        return offset;
    }
}
