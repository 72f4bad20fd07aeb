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
            private readonly Dictionary<ulong, TreeNode> _trusted = [];
            private readonly SortedDictionary<ulong, byte[]> _signatures = [];
            private readonly Stack<TreeNode> _stack = new();

            /// <summary>Trusts <paramref name="roots"/> (signed for <paramref name="length"/>) and everything that hashes up to them.</summary>
            public void Anchor(ulong length, TreeNode[] roots, byte[] signature)
            {
                _signatures[length - 1] = signature;
                foreach (var r in roots)
                {
                    if (!_trusted.TryAdd(r.Index, r)) continue;
                    _stack.Push(r);
                }
                while (_stack.TryPop(out var parent))
                {
                    if (FlatTree.Depth(parent.Index) == 0) continue;
                    if (!run.TryNode(FlatTree.LeftChild(parent.Index), out var left) || !run.TryNode(FlatTree.RightChild(parent.Index), out var right)) continue;
                    var expected = MerkleHash.Parent(left, right);
                    if (expected.Size != parent.Size || !expected.Hash.AsSpan().SequenceEqual(parent.Hash))
                        throw Fail(LegacyProblemKind.BadTree, $"tree node {parent.Index} does not match its children {left.Index} and {right.Index}");
                    if (_trusted.TryAdd(left.Index, left)) _stack.Push(left);
                    if (_trusted.TryAdd(right.Index, right)) _stack.Push(right);
                }
            }

            public bool TryLeaf(ulong index, out TreeNode leaf) => _trusted.TryGetValue(2 * index, out leaf);

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
                    if (!_trusted.ContainsKey(2 * b) && pending.Set(b, true)) left++;
                if (left == 0) return;

                var roots = new List<ulong>(64);
                for (var n = length - 1; n >= 1 && left > 0; n--)
                {
                    if (run.SignatureAt(n - 1) is not { } sig) continue;
                    FlatTree.FullRoots(2 * n, roots);
                    var useful = false;
                    foreach (var r in roots)
                    {
                        if (_trusted.ContainsKey(r) || pending.NextSet(FlatTree.LeftSpan(r) / 2, FlatTree.RightSpan(r) / 2 + 1) is null) continue;
                        useful = run.TryNode(r, out _);
                        if (useful) break;
                    }
                    if (!useful || !run.TryRoots(n, out var signedRoots)) continue;
                    if (!run.SignatureVerifies(signedRoots, n, sig))
                        throw Fail(LegacyProblemKind.BadSignature, $"the signature for length {n} does not verify against the tree's roots");
                    Anchor(n, signedRoots, sig);
                    for (var i = pending.NextSet(0, n); i is { } b; i = pending.NextSet(b + 1, n))
                        if (_trusted.ContainsKey(2 * b) && pending.Set(b, false)) left--;
                }
            }

            public IReadOnlyList<TreeNode> Nodes()
            {
                var nodes = _trusted.Values.ToArray();
                Array.Sort(nodes, static (a, b) => a.Index.CompareTo(b.Index));
                return nodes;
            }

            public IReadOnlyList<(ulong Index, byte[] Signature)> Signatures() => [.. _signatures.Select(kv => (kv.Key, kv.Value))];
        }
    }
}
