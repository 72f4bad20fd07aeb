// Step 3 of the verifier: which tree nodes are trusted. A signed set of roots is an anchor; trust
// flows from a node to its two children when both are present and hash to it (MerkleHash.Parent).
// A node with only one child present passes no trust down: hypercore always stores siblings in pairs.
using Cabal.Multifeed.Hypercore;

namespace Cabal.Multifeed.Legacy;

public static partial class LegacyFeedVerifier
{
    private sealed partial class Run
    {
        private sealed class Trust(Run run)
        {
            // Trusted nodes by flat-tree index (the tree file bounds it; a null hash is untrusted), a stack
            // of node indices and the anchoring signatures, in plain arrays rather than BCL collections over
            // TreeNode: ReadyToRun cannot precompile those instantiations, so a one-shot import spent its
            // cold start JIT-compiling them and ran its hottest loop in their unoptimised first tier.
            private readonly TreeNode[] _trusted = new TreeNode[run.TreeRecords];
            private int _trustedCount;
            private ulong[] _stack = new ulong[64];
            private ulong[] _signatureIndex = new ulong[2];
            private byte[][] _signatureBytes = new byte[2][];
            private int _signatureCount;

            /// <summary>Trusts <paramref name="roots"/> (signed for <paramref name="length"/>) and everything that hashes up to them.</summary>
            public void Anchor(ulong length, TreeNode[] roots, byte[] signature)
            {
                AddSignature(length - 1, signature);
                var top = 0;
                foreach (var r in roots)
                    if (TryTrust(r)) Push(ref top, r.Index);
                while (top > 0)
                {
                    var parent = _trusted[(int)_stack[--top]];
                    if (FlatTree.Depth(parent.Index) == 0) continue;
                    if (!run.TryNode(FlatTree.LeftChild(parent.Index), out var left) || !run.TryNode(FlatTree.RightChild(parent.Index), out var right)) continue;
                    var expected = MerkleHash.Parent(left, right);
                    if (expected.Size != parent.Size || !expected.Hash.AsSpan().SequenceEqual(parent.Hash))
                        throw Fail(LegacyProblemKind.BadTree, $"tree node {parent.Index} does not match its children {left.Index} and {right.Index}");
                    if (TryTrust(left)) Push(ref top, left.Index);
                    if (TryTrust(right)) Push(ref top, right.Index);
                }
            }

            private bool IsTrusted(ulong index) => index < (ulong)_trusted.Length && _trusted[index].Hash is not null;

            // Nodes come from TryNode, so their index is a record of the tree file.
            private bool TryTrust(in TreeNode node)
            {
                if (node.Index >= (ulong)_trusted.Length || _trusted[node.Index].Hash is not null) return false;
                _trusted[node.Index] = node;
                _trustedCount++;
                return true;
            }

            private void Push(ref int top, ulong index)
            {
                if (top == _stack.Length)
                {
                    var bigger = new ulong[_stack.Length * 2];
                    _stack.CopyTo(bigger, 0);
                    _stack = bigger;
                }
                _stack[top++] = index;
            }

            // The signature for length index + 1 (a later anchor for the same length replaces it).
            private void AddSignature(ulong index, byte[] signature)
            {
                for (var i = 0; i < _signatureCount; i++)
                    if (_signatureIndex[i] == index) { _signatureBytes[i] = signature; return; }
                if (_signatureCount == _signatureIndex.Length)
                {
                    var indices = new ulong[_signatureCount * 2];
                    var bytes = new byte[_signatureCount * 2][];
                    _signatureIndex.CopyTo(indices, 0);
                    _signatureBytes.CopyTo(bytes, 0);
                    (_signatureIndex, _signatureBytes) = (indices, bytes);
                }
                _signatureIndex[_signatureCount] = index;
                _signatureBytes[_signatureCount++] = signature;
            }

            public bool TryLeaf(ulong index, out TreeNode leaf)
            {
                leaf = IsTrusted(2 * index) ? _trusted[2 * index] : default;
                return leaf.Hash is not null;
            }

            /// <summary>
            /// Blocks below <paramref name="length"/> whose leaves the main anchor does not reach: a sparse
            /// download verified them against the length signed at the time, and hypercore trusted those
            /// nodes since. One descending pass over the stored signatures anchors each length that has a
            /// present, untrusted root over such a block (its signature checked first); nothing else is
            /// verified, so a complete feed costs no extra signature checks.
            /// </summary>
            public void ReachStoredBlocks(SparseBitfield dataBits, ulong length)
            {
                var pending = new SparseBitfield(LegacyBitfield.DataBytesPerPage);
                var left = 0;
                for (var i = dataBits.NextSet(0, length); i is { } b; i = dataBits.NextSet(b + 1, length))
                    if (!IsTrusted(2 * b) && pending.Set(b, true)) left++;
                if (left == 0) return;

                var roots = new List<ulong>(64);
                for (var n = length - 1; n >= 1 && left > 0; n--)
                {
                    if (run.SignatureAt(n - 1) is not { } sig) continue;
                    FlatTree.FullRoots(2 * n, roots);
                    var useful = false;
                    foreach (var r in roots)
                    {
                        if (IsTrusted(r) || pending.NextSet(FlatTree.LeftSpan(r) / 2, FlatTree.RightSpan(r) / 2 + 1) is null) continue;
                        useful = run.TryNode(r, out _);
                        if (useful) break;
                    }
                    if (!useful || !run.TryRoots(n, out var signedRoots)) continue;
                    if (!run.SignatureVerifies(signedRoots, n, sig))
                        throw Fail(LegacyProblemKind.BadSignature, $"the signature for length {n} does not verify against the tree's roots");
                    Anchor(n, signedRoots, sig);
                    for (var i = pending.NextSet(0, n); i is { } b; i = pending.NextSet(b + 1, n))
                        if (IsTrusted(2 * b) && pending.Set(b, false)) left--;
                }
            }

            /// <summary>The trusted nodes, in index order.</summary>
            public TreeNode[] Nodes()
            {
                var nodes = new TreeNode[_trustedCount];
                var n = 0;
                for (var i = 0; i < _trusted.Length && n < nodes.Length; i++)
                    if (_trusted[i].Hash is not null) nodes[n++] = _trusted[i];
                return nodes;
            }

            /// <summary>The anchoring signatures, by index (length − 1), ascending.</summary>
            public (ulong Index, byte[] Signature)[] Signatures()
            {
                var list = new (ulong Index, byte[] Signature)[_signatureCount];
                for (var i = 0; i < _signatureCount; i++)
                {
                    // Insertion sort: anchors come in descending order, usually one or two of them.
                    var j = i;
                    for (; j > 0 && list[j - 1].Index > _signatureIndex[i]; j--) list[j] = list[j - 1];
                    list[j] = (_signatureIndex[i], _signatureBytes[i]);
                }
                return list;
            }
        }
    }
}
