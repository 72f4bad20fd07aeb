// Uploader side of a Request (spec/hypercore.md §9.7; tree-index.js proof): which tree nodes go into
// the Data message for block i, node x = 2i.
//   [x, if hash requested] + sibling path bottom-up (minus nodes the remote holds)
//   + if the walk ends at one of my roots: my other full roots ascending (minus held ones), and the
//     signature for length VerifiedBy/2 must be attached.
// The digest (Request.nodes) is recorded into the per-connection remote tree first, exactly as JS, so
// later proofs on the same connection shrink too. Digest 0 with a fresh remote tree is the full proof,
// which every JS downloader accepts. A proof has at most ~2 × 54 nodes.
namespace Cabal.Multifeed.Hypercore;

/// <summary>The uploader does not hold node 2·index; JS treats this as fatal for the connection.</summary>
public sealed class ProofUnavailableException(string message) : InvalidOperationException(message);

/// <summary>
/// Proof nodes in wire order. When <see cref="VerifiedBy"/> is non-zero the proof ends at the roots of
/// length <see cref="VerifiedBy"/>/2 and the Data message must carry the signature stored at
/// <see cref="SignatureIndex"/>.
/// </summary>
public sealed record Proof(IReadOnlyList<TreeNode> Nodes, ulong VerifiedBy)
{
    public bool NeedsSignature => VerifiedBy > 0;

    public ulong SignedLength => VerifiedBy / 2;

    /// <summary>Index of the signature to attach (signed length − 1); only meaningful when <see cref="NeedsSignature"/>.</summary>
    public ulong SignatureIndex => VerifiedBy / 2 - 1;
}

public static class ProofBuilder
{
    /// <summary>
    /// Builds the proof for <paramref name="blockIndex"/>. <paramref name="remoteTree"/> is the Peer's
    /// persistent view of the remote's tree (null: a throw-away one, i.e. no memory across requests).
    /// </summary>
    /// <exception cref="ProofUnavailableException">node 2·<paramref name="blockIndex"/> (or a node the tree claims to hold) is missing.</exception>
    public static Proof Build(ITreeNodeSource tree, ulong blockIndex, ulong digest = 0, TreeIndex? remoteTree = null, bool includeHash = false)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (blockIndex > TreeIndex.MaxBlockIndex) throw new ProofUnavailableException($"No proof available for index {blockIndex}: beyond 2^53.");
        var indices = new List<ulong>(16);
        var verifiedBy = BuildIndices(tree, 2 * blockIndex, digest, remoteTree, includeHash, indices);
        var nodes = new TreeNode[indices.Count];
        for (var i = 0; i < nodes.Length; i++)
        {
            if (!tree.TryGetNode(indices[i], out nodes[i]))
                throw new ProofUnavailableException($"No proof available for index {blockIndex}: tree node {indices[i]} is missing.");
        }
        return new Proof(nodes, verifiedBy);
    }

    /// <summary>
    /// The proof as node indices (appended to <paramref name="result"/>), for callers that fetch hashes
    /// themselves; returns VerifiedBy (0 = no roots, no signature).
    /// </summary>
    public static ulong BuildIndices(ITreeNodeSource tree, ulong nodeIndex, ulong digest, TreeIndex? remoteTree, bool includeHash, List<ulong> result)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(result);
        if (nodeIndex > TreeIndex.MaxNodeIndex || !tree.HasNode(nodeIndex))
            throw new ProofUnavailableException($"No proof available for index {nodeIndex / 2}: node {nodeIndex} is not held.");

        var remote = remoteTree ?? new TreeIndex();
        if (includeHash) result.Add(nodeIndex); // the node itself, whatever the digest says
        if (digest == 1) return 0;

        RecordDigest(tree, remote, nodeIndex, digest);

        var n = nodeIndex;
        while (!remote.Has(n))
        {
            var s = FlatTree.Sibling(n);
            if (!tree.HasNode(s))
            {
                // n is one of my roots: the remote checks it against my full roots and signature.
                var verifiedBy = TreeIndex.VerifiedBy(n, tree.HasNode);
                foreach (var r in FlatTree.FullRoots(verifiedBy))
                    if (r != n && !remote.Has(r)) result.Add(r);
                return verifiedBy;
            }
            if (!remote.Has(s)) result.Add(s);
            if (FlatTree.Depth(n) >= TreeIndex.MaxDepth) break;
            n = FlatTree.Parent(n);
        }
        return 0; // reached a node the remote holds: it can verify without roots or signature
    }

    // The digest is remote input: walk at most up to MaxDepth whatever its bits say.
    private static void RecordDigest(ITreeNodeSource tree, TreeIndex remote, ulong nodeIndex, ulong digest)
    {
        var hasRoot = (digest & 1) != 0;
        var d = digest >> 1;
        var n = nodeIndex;
        while (d != 0)
        {
            if (d == 1 && hasRoot)
            {
                if (tree.HasNode(n)) remote.Set(n);
                // Holding an ancestor implies holding the roots before it as well.
                var s = FlatTree.Sibling(n);
                if (s < n) n = s;
                foreach (var r in FlatTree.FullRoots(FlatTree.RightSpan(n) + 2))
                    if (tree.HasNode(r)) remote.Set(r);
                return;
            }
            if ((d & 1) != 0)
            {
                var s = FlatTree.Sibling(n);
                if (tree.HasNode(s)) remote.Set(s);
            }
            if (FlatTree.Depth(n) >= TreeIndex.MaxDepth) return;
            n = FlatTree.Parent(n);
            d >>= 1;
        }
    }
}
