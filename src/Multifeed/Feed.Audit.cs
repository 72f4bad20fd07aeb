// A full consistency check of a stored feed, like hypercore's feed.audit(): every held block
// against its leaf hash, every parent against its children, and the signature over the roots.
using Cabal.Multifeed.Hypercore;

namespace Cabal.Multifeed;

/// <summary>Result of <see cref="Feed.Audit"/>: blocks that matched their leaf hash, and those that did not.</summary>
public sealed record FeedAuditResult(ulong ValidBlocks, ulong InvalidBlocks, bool SignatureValid, IReadOnlyList<string> Problems)
{
    public bool Ok => InvalidBlocks == 0 && SignatureValid && Problems.Count == 0;
}

public sealed partial class Feed
{
    public FeedAuditResult Audit(CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        ulong valid = 0, invalid = 0;
        var length = Length;
        for (ulong i = 0; i < length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!TryGet(i, out var block)) continue; // a hole in a sparse feed
            if (TryGetNode(2 * i, out var leaf) && leaf.Hash.AsSpan().SequenceEqual(MerkleHash.Leaf(block)) && leaf.Size == (ulong)block.Length) valid++;
            else { invalid++; problems.Add($"block {i} does not match its leaf"); }
        }

        var roots = new List<TreeNode>();
        foreach (var r in FlatTree.FullRoots(2 * length))
        {
            if (!TryGetNode(r, out var root)) { problems.Add($"root {r} is missing"); continue; }
            if (FlatTree.Depth(r) > 0 && TryGetNode(FlatTree.LeftChild(r), out var left) && TryGetNode(FlatTree.RightChild(r), out var right)
                && !MerkleHash.Parent(left, right).Hash.AsSpan().SequenceEqual(root.Hash))
                problems.Add($"root {r} does not match its children");
            roots.Add(root);
        }
        var signatureValid = length == 0;
        if (length > 0 && roots.Count == FlatTree.RootCount(length))
        {
            var signature = GetSignature(length - 1);
            signatureValid = signature is not null && MerkleHash.VerifySignature(MerkleHash.Signable(roots.ToArray(), length), signature, Key);
            if (!signatureValid) problems.Add($"the signature for length {length} does not verify");
        }
        return new FeedAuditResult(valid, invalid, signatureValid, problems);
    }
}
