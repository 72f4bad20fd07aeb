using Cabal.Multifeed.Hypercore;
using Cabal.Net.Crypto;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests;

/// <summary>vectors.json `feed`: every node, root, tree hash and signature after each append.</summary>
public class FeedVectorTests
{
    [Fact]
    public void KeyPairFromFeedSeedMatches()
    {
        var v = TestFeed.FeedVector;
        var kp = Ed25519.KeyPairFromSeed(Hex(v.GetProperty("seed").GetString()!));
        Assert.Equal(v.GetProperty("publicKey").GetString(), ToHex(kp.PublicKey));
        Assert.Equal(v.GetProperty("secretKey").GetString(), ToHex(kp.SecretKey));
    }

    public static TheoryData<int> StepNumbers()
    {
        var d = new TheoryData<int>();
        for (var i = 0; i < TestFeed.FeedVector.GetProperty("steps").GetArrayLength(); i++) d.Add(i);
        return d;
    }

    [Theory]
    [MemberData(nameof(StepNumbers))]
    public void EachAppendMatchesJs(int step)
    {
        var s = TestFeed.FeedVector.GetProperty("steps")[step];
        var feed = TestFeed.FromVectors(step + 1);
        Assert.Equal((ulong)s.GetProperty("length").GetInt32(), feed.Length);
        Assert.Equal(s.GetProperty("blockHex").GetString(), ToHex(feed.Blocks[step]));

        var created = feed.NewNodesPerAppend[step];
        AssertNode(TestFeed.NodeFromJson(s.GetProperty("leaf")), created[0]);
        var parents = s.GetProperty("newParents").EnumerateArray().Select(TestFeed.NodeFromJson).ToList();
        Assert.Equal(parents.Count, created.Count - 1);
        for (var i = 0; i < parents.Count; i++) AssertNode(parents[i], created[i + 1]);

        var roots = s.GetProperty("roots").EnumerateArray().Select(TestFeed.NodeFromJson).ToArray();
        Assert.Equal(roots.Select(r => r.Index), FlatTree.FullRoots(2 * feed.Length));
        Assert.Equal(roots.Length, feed.Roots.Count);
        for (var i = 0; i < roots.Length; i++) AssertNode(roots[i], feed.Roots[i]);

        Assert.Equal(s.GetProperty("treeHash").GetString(), ToHex(MerkleHash.Tree(roots)));
        var signable = MerkleHash.Signable(roots, feed.Length);
        Assert.Equal(s.GetProperty("signable").GetString(), ToHex(signable));
        Assert.Equal((ulong)s.GetProperty("byteLength").GetInt32(), roots.Aggregate(0UL, (a, r) => a + r.Size));

        // Ed25519 is deterministic, so our signature must be the JS one byte for byte.
        Assert.Equal(s.GetProperty("signature").GetString(), ToHex(feed.Signatures[step]));
        Assert.True(MerkleHash.VerifySignature(signable, Hex(s.GetProperty("signature").GetString()!), feed.Keys.PublicKey));
    }

    [Fact]
    public void FinalNodesMatchJs()
    {
        var feed = TestFeed.FromVectors();
        var expected = TestFeed.FeedVector.GetProperty("finalNodes").EnumerateArray().Select(TestFeed.NodeFromJson).ToList();
        Assert.Equal(31, expected.Count);
        Assert.Equal(expected.Count, feed.Tree.Nodes.Count);
        foreach (var e in expected) AssertNode(e, feed.Tree.Nodes[e.Index]);
    }

    [Fact]
    public void SpecThreeBlockChecksMatch()
    {
        var feed = TestFeed.Letters(3);
        Assert.Equal("ab27d45f509274ce0d08f4f09ba2d0e0d8df61a0c2a78932e81b5ef26ef398df", ToHex(feed.Tree.Nodes[0].Hash));
        Assert.Equal("064321a8413be8c604599689e2c7a59367b031b598bceeeb16556a8f3252e0de", ToHex(feed.Tree.Nodes[1].Hash));
        Assert.Equal("831f94a88d8a401c88e7628b2b92cbc17c6bbf4bc2d31e241eeedd6f9e89ed47", ToHex(MerkleHash.Tree(feed.Roots.ToArray())));
        Assert.Equal("b51553f2bcdd42919c61fc6b30386552d1db4b062e75bfc3a4d1e3506e1d81c9540fda536a7401757ea8f9710e3691bbce1e79cb411444dfb469359d0bd62103",
            ToHex(feed.Signatures[2]));
        Assert.Equal("5187b7a8021bf4f2c004ea3a54cfece1754f11c7624d2363c7f4cf4fddd1441e", ToHex(MerkleHash.Leaf([])));
    }

    internal static void AssertNode(TreeNode expected, TreeNode actual)
    {
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.Size, actual.Size);
        Assert.Equal(ToHex(expected.Hash), ToHex(actual.Hash));
    }
}
