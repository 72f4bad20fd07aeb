// The Request.nodes digest (spec/hypercore.md §9.6; tree-index.js digest): tells the uploader which
// proof nodes the downloader already holds, so it can leave them out.
//   1            → "I hold node x (or can compute it)": value only, no proof, no signature
//   bit k ≥ 1    → I hold the sibling met at step k of the walk up from x
//   bit 0        → the highest set bit names an ancestor of x that I hold (walk stops there)
// Sending 0 is always valid (full proof); computing it saves bandwidth only.
namespace Cabal.Multifeed.Hypercore;

public static class TreeDigest
{
    /// <summary>The digest for a request of node <paramref name="index"/> (2 × block index) given my tree bitfield.</summary>
    public static ulong Compute(SparseBitfield tree, ulong index)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (index > TreeIndex.MaxNodeIndex) throw new ArgumentOutOfRangeException(nameof(index), "Node index beyond 2^54.");
        if (tree.Get(index)) return 1;

        ulong digest = 0;
        var next = FlatTree.Sibling(index);
        var parent = FlatTree.Parent(index);
        // Any bound ≥ (highest set bit + 1) gives JS's answer: beyond it nothing is held, so the extra
        // steps JS would skip only look at empty positions.
        var max = Math.Max(next + 2, tree.Length);
        ulong bit = 2;
        while ((FlatTree.RightSpan(next) < max || FlatTree.LeftSpan(parent) > 0) && FlatTree.Depth(parent) < TreeIndex.MaxDepth)
        {
            if (tree.Get(next)) digest += bit;
            if (tree.Get(parent))
            {
                digest += 2 * bit;
                if ((digest & 1) == 0) digest += 1;
                return digest + 1 == 4 * bit ? 1 : digest;
            }
            next = FlatTree.Sibling(parent);
            parent = FlatTree.Parent(next);
            bit *= 2;
        }
        return digest;
    }
}
