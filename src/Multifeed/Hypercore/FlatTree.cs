// flat-tree indexing (spec/hypercore.md §2): nodes of a binary tree numbered in order across the
// leaves, so block i is node 2i and parents are odd. Pure arithmetic, no allocation on the hot paths.
using System.Numerics;

namespace Cabal.Multifeed.Hypercore;

public static class FlatTree
{
    public static int Depth(ulong n) => BitOperations.TrailingZeroCount(~n);

    public static ulong Offset(ulong n) => n >> (Depth(n) + 1);

    public static ulong Index(int depth, ulong offset) => ((offset << 1) + 1 << depth) - 1;

    public static ulong Parent(ulong n) => Index(Depth(n) + 1, Offset(n) >> 1);

    public static ulong Sibling(ulong n) => Index(Depth(n), Offset(n) ^ 1);

    public static ulong LeftChild(ulong n)
    {
        var d = Depth(n);
        if (d == 0) throw new ArgumentException("A leaf has no children.", nameof(n));
        return Index(d - 1, Offset(n) << 1);
    }

    public static ulong RightChild(ulong n)
    {
        var d = Depth(n);
        if (d == 0) throw new ArgumentException("A leaf has no children.", nameof(n));
        return Index(d - 1, (Offset(n) << 1) + 1);
    }

    public static ulong LeftSpan(ulong n)
    {
        var d = Depth(n);
        return d == 0 ? n : Offset(n) << (d + 1);
    }

    public static ulong RightSpan(ulong n)
    {
        var d = Depth(n);
        return d == 0 ? n : ((Offset(n) + 1) << (d + 1)) - 2;
    }

    /// <summary>Number of nodes in the subtree rooted at <paramref name="n"/>.</summary>
    public static ulong Count(ulong n) => (2UL << Depth(n)) - 1;

    /// <summary>
    /// The full roots of a tree whose leaves end before node <paramref name="index"/> (an even number,
    /// usually 2 × length), in ascending order.
    /// </summary>
    public static void FullRoots(ulong index, List<ulong> result)
    {
        if ((index & 1) != 0) throw new ArgumentException("FullRoots needs an even index (2 × length).", nameof(index));
        result.Clear();
        var remaining = index >> 1;
        ulong offset = 0, factor = 1;
        while (remaining > 0)
        {
            while (factor * 2 <= remaining) factor *= 2;
            result.Add(offset + factor - 1);
            offset += 2 * factor;
            remaining -= factor;
            factor = 1;
        }
    }

    public static ulong[] FullRoots(ulong index)
    {
        var l = new List<ulong>(64);
        FullRoots(index, l);
        return l.ToArray();
    }

    /// <summary>Number of full roots of a feed of <paramref name="length"/> blocks (its popcount).</summary>
    public static int RootCount(ulong length) => BitOperations.PopCount(length);
}
