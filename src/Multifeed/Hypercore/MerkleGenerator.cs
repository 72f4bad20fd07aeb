// Append-time tree growth (spec/hypercore.md §2, "tree growth on append"): keep the current full
// roots as a stack; push each new leaf, and while the two topmost roots are siblings replace them
// with their parent. The nodes produced by one append are the leaf plus every completed parent.
namespace Cabal.Multifeed.Hypercore;

public sealed class MerkleGenerator
{
    private readonly List<TreeNode> _roots;

    /// <summary>Starts from the full roots of an existing feed (ascending index order), or none.</summary>
    public MerkleGenerator(IEnumerable<TreeNode>? roots = null)
    {
        _roots = roots?.ToList() ?? [];
        foreach (var r in _roots)
        {
            Length += (FlatTree.Count(r.Index) + 1) / 2;
            ByteLength += r.Size;
        }
        var expected = FlatTree.FullRoots(2 * Length);
        if (!expected.SequenceEqual(_roots.Select(r => r.Index)))
            throw new ArgumentException("The roots given are not the full roots of a feed.", nameof(roots));
    }

    public ulong Length { get; private set; }

    public ulong ByteLength { get; private set; }

    public IReadOnlyList<TreeNode> Roots => _roots;

    /// <summary>Adds block <see cref="Length"/>; the new nodes (leaf first, then parents upward) go to <paramref name="created"/>.</summary>
    public void Append(ReadOnlySpan<byte> data, List<TreeNode> created)
    {
        var node = MerkleHash.LeafNode(Length, data);
        created.Add(node);
        while (_roots.Count > 0)
        {
            var top = _roots[^1];
            if (FlatTree.Sibling(node.Index) != top.Index) break;
            _roots.RemoveAt(_roots.Count - 1);
            node = MerkleHash.Parent(top, node);
            created.Add(node);
        }
        _roots.Add(node);
        Length++;
        ByteLength += (ulong)data.Length;
    }

    public MerkleGenerator Clone() => new(_roots);
}
