// Downloader side of a Data message (spec/hypercore.md §9.8; hypercore index.js _putBuffer,
// _verifyAndWrite, _verifyRootsAndWrite). Hash the value into its leaf, climb with siblings taken from
// the proof (in order) or the local tree, and either
//   * meet a node the local tree already trusts → accept (hashes must match), or
//   * run out of siblings → the top must be one of fullRoots(vb), the other roots come from the proof
//     (ascending) or the local tree, and the signature over signable(roots, vb/2) must verify
//     (40-byte message, legacy 32-byte fallback).
// Everything in the proof is remote input: hash sizes, indices (≤ 2^54), byte sizes (checked sums),
// duplicates, proof length (≤ 256 nodes; honest proofs have < 110) and leftover/out-of-order nodes are
// validated and reported as ProofVerificationException, never as a runtime fault.
// Stricter than JS, where JS would accept forged or meaningless input: a computed or supplied node that
// disagrees with a locally trusted one is rejected at once, the top must be one of the signed roots
// (JS does not check that the data hangs under them), and nodes left over after the roots are an error.
namespace Cabal.Multifeed.Hypercore;

/// <summary>A received proof failed verification. JS destroys the whole connection on this.</summary>
public sealed class ProofVerificationException(string message) : Exception(message);

/// <summary>
/// A verified Data message. Store <see cref="NodesToStore"/> (nodes the local tree lacked, leaf
/// included), the value, and — when non-null — <see cref="Signature"/> at <see cref="SignatureIndex"/>.
/// When <see cref="VerifiedLength"/> exceeds the local length the feed has grown to it, with byte
/// length <see cref="ByteLength"/>.
/// </summary>
public sealed record ProofVerificationResult(
    TreeNode Node,
    IReadOnlyList<TreeNode> NodesToStore,
    IReadOnlyList<TreeNode> Roots,
    ulong VerifiedLength,
    byte[]? Signature)
{
    /// <summary>True when the proof ended at the roots (and so established <see cref="VerifiedLength"/>), false when it met a trusted local node.</summary>
    public bool RootsVerified => VerifiedLength > 0;

    public ulong? SignatureIndex => Signature is null ? null : VerifiedLength - 1;

    /// <summary>Σ root sizes: the feed's byte length at <see cref="VerifiedLength"/> (0 when no roots were checked).</summary>
    public ulong ByteLength
    {
        get
        {
            ulong total = 0;
            foreach (var r in Roots) total += r.Size;
            return total;
        }
    }
}

public static class ProofVerifier
{
    /// <summary>More nodes than any honest proof can have (path ≤ 54 + roots ≤ 54, + 1 for hash requests).</summary>
    public const int MaxProofNodes = 256;

    /// <param name="publicKey">The feed key (32 bytes).</param>
    /// <param name="index">Block index of the Data message.</param>
    /// <param name="value">The block, or null for a hash-only Data (then the first proof node is node 2·index).</param>
    /// <param name="proofNodes">Data.nodes in wire order.</param>
    /// <param name="signature">Data.signature, if present.</param>
    /// <param name="local">The downloader's tree.</param>
    /// <param name="requireSignature">True when the local feed already has a signed length (JS: length &gt; 0 and live); then a
    /// proof that reaches the roots without a signature is refused instead of being checked as an unsigned feed.</param>
    /// <exception cref="ProofVerificationException">The proof does not verify.</exception>
    public static ProofVerificationResult Verify(
        ReadOnlySpan<byte> publicKey,
        ulong index,
        ReadOnlyMemory<byte>? value,
        IReadOnlyList<TreeNode> proofNodes,
        ReadOnlyMemory<byte>? signature,
        ITreeNodeSource local,
        bool requireSignature)
    {
        if (publicKey.Length != 32) throw new ArgumentException("A feed key is 32 bytes.", nameof(publicKey));
        ArgumentNullException.ThrowIfNull(proofNodes);
        ArgumentNullException.ThrowIfNull(local);
        if (index > TreeIndex.MaxBlockIndex) Fail($"Block index {index} is out of range");
        ValidateShape(proofNodes);

        var nodeIndex = 2 * index;
        var pos = 0;
        TreeNode top;
        if (value is { } v)
        {
            top = MerkleHash.LeafNode(index, v.Span);
        }
        else
        {
            if (proofNodes.Count == 0) Fail("Hash-only Data without the requested node");
            top = proofNodes[pos++];
            if (top.Index != nodeIndex) Fail($"Hash-only Data starts with node {top.Index}, expected {nodeIndex}");
        }
        var leaf = top;

        var visited = new List<TreeNode>();
        while (true)
        {
            if (local.TryGetNode(top.Index, out var trusted))
            {
                if (!SameNode(trusted, top)) Fail($"Hash mismatch against a trusted node ({top.Index})");
                // Leftover nodes are normal here: a full proof says more than a well-stocked tree needs.
                return new ProofVerificationResult(leaf, visited, [], 0, null);
            }

            var s = FlatTree.Sibling(top.Index);
            TreeNode sibling;
            if (pos < proofNodes.Count && proofNodes[pos].Index == s)
            {
                sibling = proofNodes[pos++];
                if (CheckAgainstLocal(local, sibling)) visited.Add(sibling);
            }
            else if (!local.TryGetNode(s, out sibling))
            {
                break; // top must be a root
            }

            visited.Add(top);
            if (FlatTree.Depth(top.Index) >= TreeIndex.MaxDepth) Fail("Proof climbs beyond the largest tree");
            top = Parent(top, sibling);
        }

        return VerifyRoots(publicKey, leaf, top, proofNodes, pos, signature, local, requireSignature, visited);
    }

    private static ProofVerificationResult VerifyRoots(
        ReadOnlySpan<byte> publicKey, TreeNode leaf, TreeNode top, IReadOnlyList<TreeNode> proofNodes, int pos,
        ReadOnlyMemory<byte>? signature, ITreeNodeSource local, bool requireSignature, List<TreeNode> toStore)
    {
        var last = pos < proofNodes.Count ? proofNodes[^1].Index : top.Index;
        var verifiedBy = Math.Max(FlatTree.RightSpan(top.Index), FlatTree.RightSpan(last)) + 2;
        var rootIndices = FlatTree.FullRoots(verifiedBy);
        if (Array.IndexOf(rootIndices, top.Index) < 0)
            Fail($"Node {top.Index} is not a root of length {verifiedBy / 2}: the proof does not reach the signed tree");

        var roots = new TreeNode[rootIndices.Length];
        for (var i = 0; i < rootIndices.Length; i++)
        {
            var r = rootIndices[i];
            if (r == top.Index)
            {
                roots[i] = top;
                toStore.Add(top);
            }
            else if (pos < proofNodes.Count && proofNodes[pos].Index == r)
            {
                roots[i] = proofNodes[pos++];
                if (CheckAgainstLocal(local, roots[i])) toStore.Add(roots[i]);
            }
            else if (!local.TryGetNode(r, out roots[i]))
            {
                Fail("Missing tree roots needed for verify");
            }
        }
        if (pos < proofNodes.Count) Fail($"Proof has {proofNodes.Count - pos} unexpected or out-of-order nodes (first: {proofNodes[pos].Index})");

        // The signable's size prefix would also wrap on absurd sizes: keep them exact.
        ulong byteLength = 0;
        foreach (var root in roots) byteLength = AddSize(byteLength, root.Size);

        var length = verifiedBy / 2;
        var signable = MerkleHash.Signable(roots, length);
        byte[]? stored = null;
        if (signature is { } sig)
        {
            if (!MerkleHash.VerifySignature(signable, sig.Span, publicKey)) Fail("Remote signature could not be verified");
            stored = sig.ToArray();
        }
        else if (requireSignature)
        {
            Fail("Remote did not include a signature");
        }
        else if (!signable.AsSpan(0, 32).SequenceEqual(publicKey))
        {
            Fail("Remote checksum failed");
        }

        return new ProofVerificationResult(leaf, toStore, roots, length, stored);
    }

    private static void ValidateShape(IReadOnlyList<TreeNode> nodes)
    {
        if (nodes.Count > MaxProofNodes) Fail($"Proof has {nodes.Count} nodes, more than {MaxProofNodes}");
        HashSet<ulong>? seen = nodes.Count > 1 ? new HashSet<ulong>(nodes.Count) : null;
        foreach (var n in nodes)
        {
            if (n.Hash is not { Length: TreeNode.HashSize }) Fail($"Proof node {n.Index} has a hash of {n.Hash?.Length ?? 0} bytes, expected {TreeNode.HashSize}");
            if (n.Index > TreeIndex.MaxNodeIndex) Fail($"Proof node index {n.Index} is out of range");
            if (seen is not null && !seen.Add(n.Index)) Fail($"Proof contains node {n.Index} twice");
        }
    }

    // A proof node the local tree already holds must agree with it; true when it is new to the tree.
    private static bool CheckAgainstLocal(ITreeNodeSource local, TreeNode node)
    {
        if (!local.TryGetNode(node.Index, out var trusted)) return true;
        if (!SameNode(trusted, node)) Fail($"Hash mismatch against a trusted node ({node.Index})");
        return false;
    }

    private static bool SameNode(TreeNode a, TreeNode b)
        => a.Size == b.Size && a.Hash is not null && b.Hash is not null && a.Hash.AsSpan().SequenceEqual(b.Hash);

    private static TreeNode Parent(TreeNode a, TreeNode b)
    {
        AddSize(a.Size, b.Size);
        return MerkleHash.Parent(a, b);
    }

    private static ulong AddSize(ulong a, ulong b)
    {
        var s = a + b;
        if (s < a) Fail("Proof node sizes overflow");
        return s;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string message) => throw new ProofVerificationException(message);
}
