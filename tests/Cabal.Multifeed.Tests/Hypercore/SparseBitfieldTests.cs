using Cabal.Multifeed.Hypercore;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests;

public class SparseBitfieldTests
{
    [Fact]
    public void BitOrderIsMsbFirstAsOnDisk()
    {
        var data = new SparseBitfield();
        foreach (var b in new ulong[] { 0, 1, 2 }) data.Set(b, true);
        Assert.Equal(0xE0, data.GetByte(0));

        var tree = new SparseBitfield(2048);
        foreach (var n in new ulong[] { 0, 1, 2, 4 }) tree.Set(n, true);
        Assert.Equal(0xE8, tree.GetByte(0));
    }

    [Fact]
    public void SetReportsChangesAndLengthOnlyGrows()
    {
        var b = new SparseBitfield();
        Assert.Equal(0UL, b.Length);
        Assert.False(b.Set(5, false));
        Assert.Equal(0, b.PageCount); // clearing on an absent page allocates nothing
        Assert.True(b.Set(5, true));
        Assert.False(b.Set(5, true));
        Assert.True(b.Get(5));
        Assert.Equal(8UL, b.Length);
        Assert.True(b.Set(17, true));
        Assert.Equal(24UL, b.Length);
        Assert.True(b.Set(17, false));
        Assert.False(b.Get(17));
        Assert.Equal(24UL, b.Length);
        Assert.Equal(5UL, b.LastSet());
    }

    [Fact]
    public void HugeSparseIndicesStaySmall()
    {
        var b = new SparseBitfield();
        const ulong big = 1UL << 40;
        b.Set(big, true);
        b.Set(big + 8191, true);
        b.Set(3, true);
        Assert.Equal(2, b.PageCount);
        Assert.Equal(1024 + 16, b.AllocatedBytes); // a page grows only as far as its highest byte
        Assert.True(b.Get(big));
        Assert.False(b.Get(big - 1));
        Assert.Equal(big + 8192, b.Length);
        Assert.Equal(big, b.NextSet(4));
        Assert.Equal(big + 1, b.NextClear(big));
        Assert.Equal(4UL, b.NextClear(3));
        Assert.Equal(big + 8191, b.LastSet());
        Assert.Null(b.NextSet(big + 8192));
        Assert.Equal(3UL, b.CountSet(0, ulong.MaxValue));

        var top = new SparseBitfield();
        top.Set(ulong.MaxValue - 1, true);
        Assert.True(top.Get(ulong.MaxValue - 1));
        Assert.Equal(ulong.MaxValue, top.Length); // saturates
        Assert.Equal(ulong.MaxValue - 1, top.NextSet(0));
        Assert.Null(top.NextClear(ulong.MaxValue - 1)); // the end bound is exclusive
        Assert.Equal(ulong.MaxValue - 2, top.NextClear(ulong.MaxValue - 2));
    }

    [Fact]
    public void NextSetAndNextClearRespectBounds()
    {
        var b = new SparseBitfield(8); // tiny pages to cross many boundaries
        b.SetRange(10, 200, true);
        Assert.Equal(10UL, b.NextSet(0));
        Assert.Equal(10UL, b.NextSet(10));
        Assert.Equal(100UL, b.NextSet(100));
        Assert.Null(b.NextSet(210));
        Assert.Null(b.NextSet(0, 10));
        Assert.Equal(0UL, b.NextClear(0));
        Assert.Equal(210UL, b.NextClear(10));
        Assert.Null(b.NextClear(10, 210));
        Assert.Equal(200UL, b.CountSet(0, 1000));
        Assert.Equal(5UL, b.CountSet(205, 1000));
        Assert.Equal(3UL, b.CountSet(9, 13));
    }

    [Fact]
    public void MatchesANaiveModelUnderRandomOperations()
    {
        var rng = new Random(424242);
        foreach (var pageSize in new[] { 8, 64, 1024 })
        {
            var b = new SparseBitfield(pageSize);
            var model = new bool[6000];
            for (var op = 0; op < 3000; op++)
            {
                var start = (ulong)rng.Next(model.Length);
                var value = rng.Next(3) != 0;
                if (rng.Next(2) == 0)
                {
                    var changed = b.Set(start, value);
                    Assert.Equal(model[start] != value, changed);
                    model[start] = value;
                }
                else
                {
                    var count = (ulong)rng.Next(0, (int)Math.Min(700, (ulong)model.Length - start));
                    b.SetRange(start, count, value);
                    for (var i = start; i < start + count; i++) model[i] = value;
                }
                var probe = (ulong)rng.Next(model.Length);
                Assert.Equal(model[probe], b.Get(probe));
                var ns = Array.IndexOf(model, true, (int)probe);
                Assert.Equal(ns < 0 ? null : (ulong?)ns, b.NextSet(probe));
                var nc = Array.IndexOf(model, false, (int)probe);
                Assert.Equal(nc < 0 ? (ulong)model.Length : (ulong)nc, b.NextClear(probe));
            }
            for (var i = 0; i < model.Length; i++) Assert.Equal(model[i], b.Get((ulong)i));
            var last = Array.LastIndexOf(model, true);
            Assert.Equal(last < 0 ? null : (ulong?)last, b.LastSet());
            Assert.True(b.Length >= (ulong)(last + 1));
            Assert.Equal((ulong)model.Count(x => x), b.CountSet(0, (ulong)model.Length));

            var bytes = new byte[model.Length / 8 + 3];
            b.CopyBytes(0, bytes);
            for (var i = 0; i < model.Length; i++) Assert.Equal(model[i], (bytes[i >> 3] & (0x80 >> (i & 7))) != 0);
        }
    }

    [Fact]
    public void CopyBytesAndSetBytesCrossPages()
    {
        var b = new SparseBitfield(8);
        b.SetBytes(5, Hex("0102030405060708090a"));
        Assert.Equal(2, b.PageCount);
        var o = new byte[14];
        b.CopyBytes(3, o);
        Assert.Equal("00000102030405060708090a0000", ToHex(o));
        Assert.Equal(15UL * 8, b.Length);
        b.SetBytes(100, new byte[50]); // zeros allocate nothing
        Assert.Equal(2, b.PageCount);
    }

    [Fact]
    public void ShortPagesGrowAndReadZeroPastTheirEnd()
    {
        var b = new SparseBitfield();
        b.SetRange(0, 128, true); // exactly the first 16 bytes
        Assert.Equal(16, b.AllocatedBytes);
        Assert.Equal(128UL, b.NextClear(0));
        Assert.Null(b.NextSet(128));
        Assert.False(b.Get(5000));
        Assert.Equal(0, b.GetByte(600));
        Assert.False(b.Set(5000, false)); // clearing past the end allocates nothing
        Assert.Equal(16, b.AllocatedBytes);

        b.Set(1000, true); // byte 125: the page doubles to 128 bytes, keeping what it held
        Assert.Equal(128, b.AllocatedBytes);
        Assert.Equal(128UL, b.CountSet(0, 1000));
        Assert.Equal(129UL, b.CountSet(0, ulong.MaxValue));
        Assert.Equal(1000UL, b.NextSet(128));
        Assert.Equal(1001UL, b.NextClear(1000));
        var o = new byte[130];
        b.CopyBytes(0, o);
        Assert.Equal(0xFF, o[15]);
        Assert.Equal(0x80 >> (1000 & 7), o[125]);
        Assert.Equal(0, o[129]);

        b.SetRange(0, 8192, true); // the whole page
        Assert.Equal(1024, b.AllocatedBytes);
        Assert.Equal(8192UL, b.NextClear(0));
        b.SetBytes(8192 / 8 + 3, [0, 0]); // zeros on an absent page allocate nothing
        Assert.Equal(1, b.PageCount);
        b.SetBytes(100, new byte[10]);    // zeros over a held range clear it
        Assert.Equal(0, b.GetByte(105));
        Assert.Equal(800UL, b.NextClear(0));
    }

    [Fact]
    public void DirtyPagesRoundTripThroughLoadPage()
    {
        var b = new SparseBitfield();
        b.Set(1, true);
        b.Set(8192 * 3 + 7, true);
        var dirty = b.DirtyPages.ToList();
        Assert.Equal(new ulong[] { 0, 3 }, dirty.Select(d => d.PageIndex));
        Assert.All(dirty, d => Assert.InRange(d.Page.Length, 16, 1024)); // short pages: the rest reads as zero
        b.ClearDirty();
        Assert.False(b.HasDirtyPages);
        Assert.False(b.Set(1, true));
        Assert.False(b.HasDirtyPages); // an unchanged bit dirties nothing
        b.SetRange(0, 8, false);
        Assert.Equal(new ulong[] { 0 }, b.DirtyPages.Select(d => d.PageIndex));

        var copy = new SparseBitfield();
        foreach (var (i, page) in b.Pages) copy.LoadPage(i, page.Span);
        Assert.False(copy.HasDirtyPages);
        Assert.False(copy.Get(1));
        Assert.True(copy.Get(8192 * 3 + 7));
        Assert.Equal(8192UL * 3 + 8, copy.Length);
        Assert.Equal(1, copy.PageCount); // the all-zero page 0 was not allocated
        copy.LoadPage(7, Hex("80"));      // short pages are zero-extended
        Assert.True(copy.Get(8192 * 7));
        Assert.Throws<ArgumentException>(() => copy.LoadPage(0, new byte[1025]));
    }

    [Fact]
    public void RejectsBadPageSizeAndOverflowingRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SparseBitfield(1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SparseBitfield(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SparseBitfield().SetRange(ulong.MaxValue - 1, 5, true));
    }
}
