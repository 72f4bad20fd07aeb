using Cabal.Multifeed.Hypercore;

namespace Cabal.Multifeed.Tests;

public class TreeIndexTests
{
    [Fact]
    public void SetMarksParentsOnceBothChildrenAre()
    {
        var t = new TreeIndex();
        t.Set(0);
        Assert.False(t.Has(1));
        t.Set(2);
        Assert.True(t.Has(1));
        t.Set(4);
        t.Set(6);
        Assert.True(t.Has(5));
        Assert.True(t.Has(3));
        Assert.False(t.Set(6));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(21)]
    public void BlocksAndVerifiedByOfACompleteTree(int length)
    {
        var feed = TestFeed.Letters(length);
        var t = feed.Tree.ToTreeIndex();
        Assert.Equal((ulong)length, t.Blocks());
        foreach (var r in FlatTree.FullRoots(2 * (ulong)length))
            Assert.Equal(2 * (ulong)length, t.VerifiedBy(r));
        Assert.Equal(0UL, t.VerifiedBy(2 * (ulong)length));
    }

    [Fact]
    public void VerifiedByStopsAtTheFirstGap()
    {
        // A replica holding block 0 verified at length 1, and block 5's path verified at length 8.
        var t = new TreeIndex();
        foreach (var n in new ulong[] { 0, 8, 10, 9, 13, 11, 3, 7 }) t.Bits.Set(n, true);
        Assert.Equal(2UL, t.VerifiedBy(0));
        Assert.Equal(16UL, t.VerifiedBy(7));
        Assert.Equal(0UL, t.VerifiedBy(2));
    }
}
