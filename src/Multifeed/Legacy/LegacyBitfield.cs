// hypercore 9's `bitfield` file (spec/hypercore.md §3.1, §4.1; hypercore lib/bitfield.js): a SLEEP
// header, then pages of 3584 bytes, page k at 32 + 3584k:
//   bytes    0–1023  data bits   (bit b = block 8192k + b held)
//   bytes 1024–3071  tree bits   (bit n = flat-tree node 16384k + n held)
//   bytes 3072–3583  index       (2-bit summaries of data bytes, as a flat tree; see BuildIndex)
// Reading keeps the data and tree parts in our SparseBitfield pages (the same MSB-first layout, so
// pages are copied, not translated); writing rebuilds the index so hypercore's "next missing block"
// iterator skips exactly what it would have skipped in a store it wrote itself.
using Cabal.Multifeed.Hypercore;

namespace Cabal.Multifeed.Legacy;

public static class LegacyBitfield
{
    public const int DataBytesPerPage = 1024;
    public const int TreeBytesPerPage = 2048;
    public const int IndexBytesPerPage = SleepHeader.BitfieldPageSize - DataBytesPerPage - TreeBytesPerPage;

    /// <summary>
    /// Splits a bitfield file into its data and tree bitfields. An absent or header-only file is an
    /// empty feed; a last page cut short reads as zero past its end (hypercore does the same).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> file, out SparseBitfield data, out SparseBitfield tree, out string error)
    {
        data = new SparseBitfield(DataBytesPerPage);
        tree = new SparseBitfield(TreeBytesPerPage);
        if (file.IsEmpty) { error = ""; return true; }
        if (!SleepHeader.TryParse(file, SleepHeader.Bitfield, out var header, out error)) return false;
        var pageSize = header.EntrySize;
        var body = file[SleepHeader.Size..];
        for (ulong k = 0; !body.IsEmpty; k++)
        {
            var page = body[..Math.Min(pageSize, body.Length)];
            data.LoadPage(k, page[..Math.Min(DataBytesPerPage, page.Length)]);
            if (page.Length > DataBytesPerPage)
                tree.LoadPage(k, page[DataBytesPerPage..Math.Min(DataBytesPerPage + TreeBytesPerPage, page.Length)]);
            body = body[page.Length..];
        }
        error = "";
        return true;
    }

    /// <summary>A whole bitfield file for the given data and tree bits, index included.</summary>
    public static byte[] Build(SparseBitfield data, SparseBitfield tree)
    {
        if (data.PageSize != DataBytesPerPage || tree.PageSize != TreeBytesPerPage)
            throw new ArgumentException("The data bitfield must have 1 KiB pages and the tree bitfield 2 KiB pages.");
        var lastData = data.LastSet();
        var lastTree = tree.LastSet();
        var pages = Math.Max(lastData is { } d ? d / data.BitsPerPage + 1 : 0, lastTree is { } t ? t / tree.BitsPerPage + 1 : 0);
        var file = new byte[SleepHeader.Size + checked((int)pages * SleepHeader.BitfieldPageSize)];
        SleepHeader.Bitfield.ToBytes().CopyTo(file, 0);
        if (pages == 0) return file;

        var dataBytes = new byte[checked((int)pages * DataBytesPerPage)];
        data.CopyBytes(0, dataBytes);
        var index = BuildIndex(dataBytes, (int)pages * IndexBytesPerPage);
        for (var k = 0; k < (int)pages; k++)
        {
            var page = file.AsSpan(SleepHeader.Size + k * SleepHeader.BitfieldPageSize, SleepHeader.BitfieldPageSize);
            dataBytes.AsSpan(k * DataBytesPerPage, DataBytesPerPage).CopyTo(page);
            tree.CopyBytes((ulong)k * TreeBytesPerPage, page.Slice(DataBytesPerPage, TreeBytesPerPage));
            index.AsSpan(k * IndexBytesPerPage, IndexBytesPerPage).CopyTo(page[(DataBytesPerPage + TreeBytesPerPage)..]);
        }
        return file;
    }

    /// <summary>
    /// hypercore's index over the data bytes: the leaf at position 2q holds a 2-bit summary of each of
    /// data bytes 4q…4q+3 (11 = ff, 00 = 00, 01 = mixed; byte 4q+o in bits 7−2o and 6−2o); an odd
    /// position is a flat-tree parent whose high nibble summarises its left child (nibble 1111 → 11,
    /// 0000 → 00, else 01, for each of the child's two nibbles) and whose low nibble its right child.
    /// Every position below <paramref name="length"/> holds its value (JS updates parents as bits
    /// change, up to the pages it holds).
    /// </summary>
    internal static byte[] BuildIndex(ReadOnlySpan<byte> dataBytes, int length)
    {
        var index = new byte[length];
        for (var q = 0; 2 * q < length && 4 * q < dataBytes.Length; q++)
        {
            var v = 0;
            for (var o = 0; o < 4 && 4 * q + o < dataBytes.Length; o++) v |= Summary(dataBytes[4 * q + o]) << (6 - 2 * o);
            index[2 * q] = (byte)v;
        }
        for (var depth = 1; FlatTree.Index(depth, 0) < (ulong)length; depth++)
        {
            for (ulong o = 0; ; o++)
            {
                var n = FlatTree.Index(depth, o);
                if (n >= (ulong)length) break;
                var left = At(index, FlatTree.LeftChild(n));
                var right = At(index, FlatTree.RightChild(n));
                index[n] = (byte)((Parent(left) << 4) | Parent(right));
            }
        }
        return index;

        static byte At(byte[] index, ulong i) => i < (ulong)index.Length ? index[i] : (byte)0;
    }

    private static int Summary(byte b) => b == 0xFF ? 3 : b == 0 ? 0 : 1;

    // A child byte's two nibbles, each summarised to 2 bits, as one nibble.
    private static int Parent(byte child) => (Nibble(child >> 4) << 2) | Nibble(child & 15);

    private static int Nibble(int n) => n == 15 ? 3 : n == 0 ? 0 : 1;
}
