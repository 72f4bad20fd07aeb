// hypercore 9 lib/tree-index.js semantics over a tree bitfield (bit n = flat-tree node n held;
// spec/hypercore.md §3.1, §4.3, §9.6, §9.7). Two uses:
//  * a feed's own tree: Blocks() recovers the length from the bitfield alone, VerifiedBy() is the
//    tree-derived "signed length × 2" an uploader attaches to a proof;
//  * a Peer's remoteTree: what the remote is believed to hold, learnt from Request digests, where
//    Set() also marks a parent once both its children are marked.
// Indices are bounded by MaxNodeIndex (JS numbers are exact only to 2^53 blocks), which also keeps
// every flat-tree step below 2^64.
namespace Cabal.Multifeed.Hypercore;

public sealed class TreeIndex
{
    /// <summary>Largest block index a JS peer can address exactly (2^53 − 1).</summary>
    public const ulong MaxBlockIndex = (1UL << 53) - 1;

    /// <summary>Largest flat-tree node index accepted anywhere in this namespace (2^54 − 1).</summary>
    public const ulong MaxNodeIndex = (1UL << 54) - 1;

    /// <summary>Nodes of depth above this cannot occur below <see cref="MaxNodeIndex"/>; walks stop there.</summary>
    internal const int MaxDepth = 54;

    /// <param name="bits">The tree bitfield to interpret (shared, not copied); a new 2 KiB-paged one when null.</param>
    public TreeIndex(SparseBitfield? bits = null) => Bits = bits ?? new SparseBitfield(2048);

    public SparseBitfield Bits { get; }

    public bool Has(ulong index) => Bits.Get(index);

    /// <summary>Marks <paramref name="index"/> and every ancestor whose two children are now marked; false if it was already marked.</summary>
    public bool Set(ulong index)
    {
        if (!Bits.Set(index, true)) return false;
        while (FlatTree.Depth(index) < MaxDepth && Bits.Get(FlatTree.Sibling(index)))
        {
            index = FlatTree.Parent(index);
            if (!Bits.Set(index, true)) break;
        }
        return true;
    }

    /// <summary>The Request.nodes digest for node <paramref name="index"/> (see <see cref="TreeDigest"/>).</summary>
    public ulong Digest(ulong index) => TreeDigest.Compute(Bits, index);

    /// <summary>
    /// 2 × the length whose roots a proof ending at node <paramref name="index"/> is checked against:
    /// climb while parent and sibling are held, then follow the held nodes rightwards to the first gap;
    /// 0 if <paramref name="index"/> is not held. For a complete tree this is 2 × length.
    /// </summary>
    public ulong VerifiedBy(ulong index) => VerifiedBy(index, Has);

    /// <summary>The feed length implied by the tree bitfield alone (tree-index blocks(), spec §4.3).</summary>
    public ulong Blocks()
    {
        ulong top = 0, next = 0;
        var max = Bits.Length;
        while (FlatTree.RightSpan(next) < max && FlatTree.Depth(next) < MaxDepth)
        {
            next = FlatTree.Parent(next);
            if (Has(next)) top = next;
        }
        return Has(top) ? VerifiedBy(top) / 2 : 0;
    }

    internal static ulong VerifiedBy(ulong index, Func<ulong, bool> has)
    {
        if (index > MaxNodeIndex || !has(index)) return 0;
        var top = index;
        while (FlatTree.Depth(top) < MaxDepth && has(FlatTree.Parent(top)) && has(FlatTree.Sibling(top)))
            top = FlatTree.Parent(top);

        // Expand right and down: the next subtree to the right of top, descending through left children
        // until a held node; a held leaf (or a gap at depth 0) ends the run.
        var depth = FlatTree.Depth(top);
        while (depth > 0)
        {
            top = FlatTree.LeftChild(FlatTree.Index(depth, FlatTree.Offset(top) + 1));
            depth--;
            while (!has(top) && depth > 0)
            {
                top = FlatTree.LeftChild(top);
                depth--;
            }
        }
        return has(top) ? top + 2 : top;
    }
}
