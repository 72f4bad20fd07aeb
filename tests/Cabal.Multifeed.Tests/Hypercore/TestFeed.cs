using System.Text.Json;
using Cabal.Multifeed.Hypercore;
using Cabal.Net.Crypto;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests;

/// <summary>An in-memory tree: the ITreeNodeSource the proof code is tested against.</summary>
internal sealed class DictionaryTree : ITreeNodeSource
{
    public Dictionary<ulong, TreeNode> Nodes { get; } = new();

    public DictionaryTree() { }

    public DictionaryTree(IEnumerable<TreeNode> nodes)
    {
        foreach (var n in nodes) Nodes[n.Index] = n;
    }

    public bool TryGetNode(ulong index, out TreeNode node) => Nodes.TryGetValue(index, out node);

    public void Add(IEnumerable<TreeNode> nodes)
    {
        foreach (var n in nodes) Nodes[n.Index] = n;
    }

    public TreeIndex ToTreeIndex()
    {
        var t = new TreeIndex();
        foreach (var i in Nodes.Keys) t.Bits.Set(i, true);
        return t;
    }
}

/// <summary>
/// A signed feed built by the simplest possible append loop (roots as a stack, merge equal siblings),
/// independent of any production tree builder, so vector checks test the hashing primitives.
/// </summary>
internal sealed class TestFeed
{
    public KeyPair Keys { get; }
    public List<byte[]> Blocks { get; } = new();
    public DictionaryTree Tree { get; } = new();
    public List<byte[]> Signatures { get; } = new(); // index L-1 = signature for length L
    public List<List<TreeNode>> NewNodesPerAppend { get; } = new();
    private readonly List<TreeNode> _roots = new();

    public TestFeed(byte[] seed) => Keys = Ed25519.KeyPairFromSeed(seed);

    public ulong Length => (ulong)Blocks.Count;

    public IReadOnlyList<TreeNode> Roots => _roots;

    public void Append(byte[] block)
    {
        var created = new List<TreeNode>();
        var node = MerkleHash.LeafNode((ulong)Blocks.Count, block);
        Blocks.Add(block);
        created.Add(node);
        _roots.Add(node);
        while (_roots.Count >= 2 && FlatTree.Sibling(_roots[^1].Index) == _roots[^2].Index)
        {
            var parent = MerkleHash.Parent(_roots[^2], _roots[^1]);
            _roots.RemoveRange(_roots.Count - 2, 2);
            _roots.Add(parent);
            created.Add(parent);
        }
        Tree.Add(created);
        NewNodesPerAppend.Add(created);
        var sig = new byte[64];
        Ed25519.Sign(MerkleHash.Signable(_roots.ToArray(), Length), Keys.SecretKey!, sig);
        Signatures.Add(sig);
    }

    /// <summary>The 16-block feed of vectors.json: seed from `feed`, block i = chr(97 + i).</summary>
    public static TestFeed FromVectors(int blocks = 16)
    {
        var f = new TestFeed(Hex(FeedVector.GetProperty("seed").GetString()!));
        for (var i = 0; i < blocks; i++) f.Append([(byte)('a' + i)]);
        return f;
    }

    public static TestFeed Letters(int blocks)
    {
        var f = new TestFeed(new byte[32]);
        for (var i = 0; i < blocks; i++) f.Append([(byte)('a' + i)]);
        return f;
    }

    public static JsonElement FeedVector => Vectors.GetProperty("feed");

    public static TreeNode NodeFromJson(JsonElement e)
        => new(e.GetProperty("index").GetUInt64(), Hex(e.GetProperty("hash").GetString()!), e.GetProperty("size").GetUInt64());
}
