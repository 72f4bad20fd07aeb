using Cabal.Multifeed.Hypercore;
using Cabal.Net.Crypto;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests;

public class ProofBuilderTests
{
    [Fact]
    public void FullProofForBlock2MatchesDataMessageVector()
    {
        var v = TestFeed.FeedVector.GetProperty("dataMessageForBlock2");
        var feed = TestFeed.FromVectors();
        var proof = ProofBuilder.Build(feed.Tree, v.GetProperty("index").GetUInt64());
        var expected = v.GetProperty("nodes").EnumerateArray().Select(TestFeed.NodeFromJson).ToList();
        Assert.Equal(expected.Count, proof.Nodes.Count);
        for (var i = 0; i < expected.Count; i++) FeedVectorTests.AssertNode(expected[i], proof.Nodes[i]);
        Assert.Equal(32UL, proof.VerifiedBy);
        Assert.True(proof.NeedsSignature);
        Assert.Equal(15UL, proof.SignatureIndex);
        Assert.Equal(v.GetProperty("signature").GetString(), ToHex(feed.Signatures[(int)proof.SignatureIndex]));
        Assert.Equal(v.GetProperty("value").GetString(), ToHex(feed.Blocks[2]));
    }

    [Theory]
    [InlineData(2, new ulong[] { 1 })]
    [InlineData(1, new ulong[] { 0, 4 })]
    [InlineData(0, new ulong[] { 2, 4 })]
    public void ThreeBlockFeedProofsMatchSpec(ulong block, ulong[] expected)
    {
        var feed = TestFeed.Letters(3);
        var proof = ProofBuilder.Build(feed.Tree, block);
        Assert.Equal(expected, proof.Nodes.Select(n => n.Index));
        Assert.Equal(6UL, proof.VerifiedBy);
    }

    // spec §9.6 table: (feed length, nodes the downloader holds, requested block, digest, proof, verifiedBy)
    public static TheoryData<int, ulong[], ulong, ulong, ulong[], ulong> DigestTable() => new()
    {
        { 5, [], 0, 0, [2, 5, 8], 10 },
        { 5, [2], 0, 2, [5, 8], 10 },
        { 5, [0, 2, 4, 6], 4, 8, [], 10 },
        { 5, [0, 2, 4], 3, 6, [8], 10 },
        { 8, [0, 2, 4, 6], 5, 8, [8, 13], 16 },
        { 8, [8], 5, 2, [13, 3], 16 },
        { 8, [0, 2, 4, 6, 8, 10, 12, 14], 2, 1, [], 0 },
    };

    [Theory]
    [MemberData(nameof(DigestTable))]
    public void DigestTableFromSpec(int length, ulong[] held, ulong block, ulong digest, ulong[] proofNodes, ulong verifiedBy)
    {
        var feed = TestFeed.Letters(length);
        var downloader = new TreeIndex();
        foreach (var n in held) downloader.Set(n);

        Assert.Equal(digest, downloader.Digest(2 * block));
        Assert.Equal(digest, TreeDigest.Compute(downloader.Bits, 2 * block));

        var proof = ProofBuilder.Build(feed.Tree, block, digest, new TreeIndex());
        Assert.Equal(proofNodes, proof.Nodes.Select(n => n.Index));
        Assert.Equal(verifiedBy, proof.VerifiedBy);

        if (digest == 1) return;
        // What the digest leaves out, the downloader really holds: the proof verifies against its tree.
        var local = new DictionaryTree();
        for (ulong i = 0; i <= 2 * (ulong)length; i++)
            if (downloader.Has(i) && feed.Tree.TryGetNode(i, out var node)) local.Nodes[i] = node;
        var sig = proof.NeedsSignature ? feed.Signatures[(int)proof.SignatureIndex] : null;
        var result = ProofVerifier.Verify(feed.Keys.PublicKey, block, feed.Blocks[(int)block], proof.Nodes.ToList(), sig, local, requireSignature: true);
        Assert.Equal(verifiedBy / 2, result.VerifiedLength);
    }

    [Fact]
    public void HashRequestPutsTheNodeFirstAndDigest1SendsOnlyIt()
    {
        var feed = TestFeed.Letters(3);
        var p = ProofBuilder.Build(feed.Tree, 1, includeHash: true);
        Assert.Equal(new ulong[] { 2, 0, 4 }, p.Nodes.Select(n => n.Index));
        var p1 = ProofBuilder.Build(feed.Tree, 1, digest: 1, includeHash: true);
        Assert.Equal(new ulong[] { 2 }, p1.Nodes.Select(n => n.Index));
        Assert.False(p1.NeedsSignature);
        Assert.Empty(ProofBuilder.Build(feed.Tree, 1, digest: 1).Nodes);
    }

    [Fact]
    public void RemoteTreePersistsAcrossRequests()
    {
        var feed = TestFeed.Letters(8);
        var remote = new TreeIndex();
        // The remote told us (digest 2 for block 0) that it holds node 2.
        var first = ProofBuilder.Build(feed.Tree, 0, 2, remote);
        Assert.Equal(new ulong[] { 5, 11 }, first.Nodes.Select(n => n.Index));
        Assert.True(remote.Has(2));
        // A later digest-0 request on the same connection still omits node 2.
        var second = ProofBuilder.Build(feed.Tree, 0, 0, remote);
        Assert.Equal(new ulong[] { 5, 11 }, second.Nodes.Select(n => n.Index));
        // And block 1 (node 2 itself) needs no proof at all: the remote can hash its value up to node 2.
        var third = ProofBuilder.Build(feed.Tree, 1, 0, remote);
        Assert.Empty(third.Nodes);
        Assert.False(third.NeedsSignature);
        // A throw-away remote tree remembers nothing.
        Assert.Equal(new ulong[] { 2, 5, 11 }, ProofBuilder.Build(feed.Tree, 0).Nodes.Select(n => n.Index));
    }

    [Fact]
    public void MissingNodeIsProofUnavailable()
    {
        var feed = TestFeed.Letters(3);
        Assert.Throws<ProofUnavailableException>(() => ProofBuilder.Build(feed.Tree, 3));
        Assert.Throws<ProofUnavailableException>(() => ProofBuilder.Build(feed.Tree, ulong.MaxValue / 2));
        var holey = new DictionaryTree(feed.Tree.Nodes.Values.Where(n => n.Index != 4));
        Assert.Throws<ProofUnavailableException>(() => ProofBuilder.Build(holey, 2));
    }

    [Fact]
    public void HostileDigestsDoNotBreakTheBuilder()
    {
        var feed = TestFeed.Letters(21);
        foreach (var d in new ulong[] { ulong.MaxValue, ulong.MaxValue - 1, 1UL << 63, (1UL << 63) | 1, 0xAAAAAAAAAAAAAAAA, 3, 5, 7 })
            for (ulong b = 0; b < 21; b++)
            {
                var p = ProofBuilder.Build(feed.Tree, b, d, new TreeIndex());
                Assert.All(p.Nodes, n => Assert.True(feed.Tree.Nodes.ContainsKey(n.Index)));
            }
    }
}

public class ProofVerifierTests
{
    private static readonly TestFeed s_feed = TestFeed.FromVectors();

    private static ProofVerificationResult VerifyFull(TestFeed feed, ulong block, ITreeNodeSource local, bool requireSignature = false)
    {
        var proof = ProofBuilder.Build(feed.Tree, block);
        var sig = proof.NeedsSignature ? feed.Signatures[(int)proof.SignatureIndex] : null;
        return ProofVerifier.Verify(feed.Keys.PublicKey, block, feed.Blocks[(int)block], proof.Nodes, sig, local, requireSignature);
    }

    public static TheoryData<int> Blocks16()
    {
        var d = new TheoryData<int>();
        for (var i = 0; i < 16; i++) d.Add(i);
        return d;
    }

    [Theory]
    [MemberData(nameof(Blocks16))]
    public void EveryBlockVerifiesAgainstAnEmptyTree(int block)
    {
        var r = VerifyFull(s_feed, (ulong)block, new DictionaryTree());
        Assert.Equal(16UL, r.VerifiedLength);
        Assert.Equal(15UL, r.SignatureIndex);
        Assert.Equal(ToHex(s_feed.Signatures[15]), ToHex(r.Signature));
        Assert.Equal(16UL, r.ByteLength);
        Assert.Equal((ulong)block * 2, r.Node.Index);
        // leaf + 4 siblings + 3 intermediate parents + root
        Assert.Equal(9, r.NodesToStore.Count);
        Assert.Contains(r.NodesToStore, n => n.Index == 2 * (ulong)block);
        Assert.Contains(r.NodesToStore, n => n.Index == 15);
        foreach (var n in r.NodesToStore) FeedVectorTests.AssertNode(s_feed.Tree.Nodes[n.Index], n);
    }

    [Fact]
    public void DownloadingEverythingInRandomOrderRebuildsTheTree()
    {
        var rng = new Random(7);
        foreach (var useDigest in new[] { false, true })
        {
            var local = new DictionaryTree();
            var localIndex = new TreeIndex();
            var remoteTree = new TreeIndex();
            var length = 0UL;
            foreach (var block in Enumerable.Range(0, 16).OrderBy(_ => rng.Next()).Select(b => (ulong)b))
            {
                var digest = useDigest ? localIndex.Digest(2 * block) : 0;
                var proof = ProofBuilder.Build(s_feed.Tree, block, digest, useDigest ? remoteTree : null);
                var sig = proof.NeedsSignature ? s_feed.Signatures[(int)proof.SignatureIndex] : null;
                var r = ProofVerifier.Verify(s_feed.Keys.PublicKey, block, s_feed.Blocks[(int)block], proof.Nodes, sig, local, requireSignature: length > 0);
                foreach (var n in r.NodesToStore)
                {
                    Assert.False(local.Nodes.ContainsKey(n.Index), "only new nodes are reported");
                    local.Nodes[n.Index] = n;
                    localIndex.Bits.Set(n.Index, true);
                }
                if (r.RootsVerified) length = Math.Max(length, r.VerifiedLength);
            }
            Assert.Equal(16UL, length);
            Assert.Equal(31, local.Nodes.Count);
            foreach (var n in local.Nodes.Values) FeedVectorTests.AssertNode(s_feed.Tree.Nodes[n.Index], n);
            Assert.Equal(16UL, localIndex.Blocks());
        }
    }

    [Fact]
    public void PartiallyFilledTreeAcceptsEarlyAtATrustedNode()
    {
        var local = new DictionaryTree(VerifyFull(s_feed, 0, new DictionaryTree()).NodesToStore);
        // Block 0's proof brought sibling 2, so block 1's leaf is trusted already: nothing new to store.
        var r = VerifyFull(s_feed, 1, local, requireSignature: true);
        Assert.False(r.RootsVerified);
        Assert.Null(r.Signature);
        Assert.Empty(r.NodesToStore);
        // A block in the other half climbs its own path until it meets node 23 (block 0's top sibling).
        var r9 = VerifyFull(s_feed, 9, local, requireSignature: true);
        Assert.False(r9.RootsVerified);
        Assert.Equal(new ulong[] { 16, 17, 18, 19, 21, 27 }, r9.NodesToStore.Select(n => n.Index).Order());
        // Without the early stop (empty tree) the same proof establishes length 16.
        Assert.True(VerifyFull(s_feed, 9, new DictionaryTree()).RootsVerified);
    }

    [Fact]
    public void GrowingFeedVerifiesNewLengthsOnTopOfOldOnes()
    {
        var small = TestFeed.FromVectors(3);
        var local = new DictionaryTree(VerifyFull(small, 2, new DictionaryTree()).NodesToStore);
        Assert.Equal(new ulong[] { 1, 4 }, local.Nodes.Keys.Order());
        // Now length 16: block 5's proof must reach root 15, signature for length 16.
        var r = VerifyFull(s_feed, 5, local, requireSignature: true);
        Assert.True(r.RootsVerified);
        Assert.Equal(16UL, r.VerifiedLength);
        // Length 5 roots (3, 8) against a tree holding length-3 roots (1, 4): 1 is local, the proof of block 4 brings 6 and 3.
        var five = TestFeed.FromVectors(5);
        var r5 = VerifyFull(five, 4, new DictionaryTree(VerifyFull(small, 2, new DictionaryTree()).NodesToStore), requireSignature: true);
        Assert.Equal(5UL, r5.VerifiedLength);
    }

    [Fact]
    public void DataMessageVectorVerifies()
    {
        var v = TestFeed.FeedVector.GetProperty("dataMessageForBlock2");
        var nodes = v.GetProperty("nodes").EnumerateArray().Select(TestFeed.NodeFromJson).ToList();
        var r = ProofVerifier.Verify(Hex(TestFeed.FeedVector.GetProperty("publicKey").GetString()!), v.GetProperty("index").GetUInt64(),
            Hex(v.GetProperty("value").GetString()!), nodes, Hex(v.GetProperty("signature").GetString()!), new DictionaryTree(), requireSignature: true);
        Assert.Equal(16UL, r.VerifiedLength);
        Assert.Equal(new ulong[] { 1, 3, 4, 5, 6, 7, 11, 15, 23 }, r.NodesToStore.Select(n => n.Index).Order());
    }

    [Fact]
    public void HashOnlyDataVerifies()
    {
        var proof = ProofBuilder.Build(s_feed.Tree, 6, includeHash: true);
        var r = ProofVerifier.Verify(s_feed.Keys.PublicKey, 6, null, proof.Nodes, s_feed.Signatures[15], new DictionaryTree(), true);
        Assert.Equal(12UL, r.Node.Index);
        Assert.Equal(16UL, r.VerifiedLength);
        var wrongFirst = proof.Nodes.Skip(1).ToList();
        AssertFails("Hash-only", () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 6, null, wrongFirst, s_feed.Signatures[15], new DictionaryTree(), true));
        AssertFails("Hash-only", () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 6, null, [], s_feed.Signatures[15], new DictionaryTree(), true));
    }

    [Fact]
    public void LegacySignatureOverTheTreeHashIsAccepted()
    {
        var proof = ProofBuilder.Build(s_feed.Tree, 3);
        var roots = FlatTree.FullRoots(32).Select(i => s_feed.Tree.Nodes[i]).ToArray();
        var legacy = new byte[64];
        Ed25519.Sign(MerkleHash.Tree(roots), s_feed.Keys.SecretKey!, legacy);
        var r = ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], proof.Nodes, legacy, new DictionaryTree(), true);
        Assert.Equal(ToHex(legacy), ToHex(r.Signature));
    }

    [Fact]
    public void FlippedSignatureBitFails()
    {
        var proof = ProofBuilder.Build(s_feed.Tree, 3);
        var sig = (byte[])s_feed.Signatures[15].Clone();
        sig[10] ^= 0x04;
        AssertFails("Remote signature could not be verified",
            () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], proof.Nodes, sig, new DictionaryTree(), true));
        AssertFails("Remote signature could not be verified",
            () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], proof.Nodes, sig.AsMemory(0, 63), new DictionaryTree(), true));
        // A signature for another length does not verify this one either.
        AssertFails("Remote signature could not be verified",
            () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], proof.Nodes, s_feed.Signatures[14], new DictionaryTree(), true));
    }

    [Fact]
    public void CorruptedProofHashOrValueFails()
    {
        var proof = ProofBuilder.Build(s_feed.Tree, 3);
        for (var i = 0; i < proof.Nodes.Count; i++)
        {
            var nodes = proof.Nodes.ToArray();
            var h = (byte[])nodes[i].Hash.Clone();
            h[0] ^= 1;
            nodes[i] = nodes[i] with { Hash = h };
            AssertFails("signature", () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], nodes, s_feed.Signatures[15], new DictionaryTree(), true));
        }
        AssertFails("signature", () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, "x"u8.ToArray(), proof.Nodes, s_feed.Signatures[15], new DictionaryTree(), true));
        var wrongSize = proof.Nodes.ToArray();
        wrongSize[0] = wrongSize[0] with { Size = 2 };
        AssertFails("signature", () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], wrongSize, s_feed.Signatures[15], new DictionaryTree(), true));
    }

    [Fact]
    public void ConflictWithATrustedNodeIsRejectedAtOnce()
    {
        var local = new DictionaryTree(s_feed.Tree.Nodes.Values.Where(n => n.Index is 1 or 0 or 2));
        // Wrong data for block 1: its leaf differs from trusted node 2.
        AssertFails("Hash mismatch against a trusted node",
            () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 1, "z"u8.ToArray(), [], null, local, true));
        // A forged sibling for block 3 climbs to node 1's position... via a proof node that contradicts local node 1.
        var proof = ProofBuilder.Build(s_feed.Tree, 3).Nodes.ToArray(); // [4, 1, 11, 23]
        Assert.Equal(1UL, proof[1].Index);
        var bad = (byte[])proof[1].Hash.Clone();
        bad[5] ^= 0x80;
        proof[1] = proof[1] with { Hash = bad };
        AssertFails("Hash mismatch against a trusted node",
            () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], proof, s_feed.Signatures[15], local, true));
    }

    [Fact]
    public void MissingSignatureOrRootsFail()
    {
        var proof = ProofBuilder.Build(s_feed.Tree, 3);
        AssertFails("Remote did not include a signature",
            () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], proof.Nodes, null, new DictionaryTree(), true));
        AssertFails("Remote checksum failed",
            () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], proof.Nodes, null, new DictionaryTree(), false));

        var five = TestFeed.FromVectors(5);
        Assert.Equal(new ulong[] { 3 }, ProofBuilder.Build(five.Tree, 4).Nodes.Select(n => n.Index));
        AssertFails("Missing tree roots needed for verify",
            () => ProofVerifier.Verify(five.Keys.PublicKey, 4, five.Blocks[4], [], five.Signatures[4], new DictionaryTree(), true));
        // A truncated path makes node 3 look like the only root of length 4: the length-16 signature fails.
        AssertFails("Remote signature could not be verified",
            () => ProofVerifier.Verify(s_feed.Keys.PublicKey, 3, s_feed.Blocks[3], proof.Nodes.Take(2).ToList(), s_feed.Signatures[15], new DictionaryTree(), true));
    }

    [Fact]
    public void UnsignedFeedChecksTheTreeHashAgainstTheKey()
    {
        var feed = TestFeed.Letters(4);
        var proof = ProofBuilder.Build(feed.Tree, 1);
        var key = MerkleHash.Tree([feed.Tree.Nodes[3]]);
        var r = ProofVerifier.Verify(key, 1, feed.Blocks[1], proof.Nodes, null, new DictionaryTree(), false);
        Assert.Equal(4UL, r.VerifiedLength);
        Assert.Null(r.Signature);
    }

    [Fact]
    public void MalformedProofNodesFailCleanly()
    {
        var proof = ProofBuilder.Build(s_feed.Tree, 3).Nodes.ToArray();
        var pk = s_feed.Keys.PublicKey;
        var value = s_feed.Blocks[3];
        var sig = s_feed.Signatures[15];

        TreeNode[] With(int i, TreeNode n) { var c = proof.ToArray(); c[i] = n; return c; }

        AssertFails("hash of 31 bytes", () => ProofVerifier.Verify(pk, 3, value, With(0, proof[0] with { Hash = new byte[31] }), sig, new DictionaryTree(), true));
        AssertFails("hash of 0 bytes", () => ProofVerifier.Verify(pk, 3, value, With(0, proof[0] with { Hash = null! }), sig, new DictionaryTree(), true));
        AssertFails("out of range", () => ProofVerifier.Verify(pk, 3, value, With(3, proof[3] with { Index = ulong.MaxValue }), sig, new DictionaryTree(), true));
        AssertFails("out of range", () => ProofVerifier.Verify(pk, ulong.MaxValue, value, proof, sig, new DictionaryTree(), true));
        AssertFails("twice", () => ProofVerifier.Verify(pk, 3, value, [.. proof, proof[2]], sig, new DictionaryTree(), true));
        AssertFails("more than", () => ProofVerifier.Verify(pk, 3, value, Enumerable.Range(0, 300).Select(i => proof[0] with { Index = (ulong)i * 2 + 100 }).ToList(), sig, new DictionaryTree(), true));
        AssertFails("overflow", () => ProofVerifier.Verify(pk, 3, value, With(0, proof[0] with { Size = ulong.MaxValue }), sig, new DictionaryTree(), true));
        AssertFails("overflow", () => ProofVerifier.Verify(pk, 3, value, With(3, proof[3] with { Size = ulong.MaxValue - 3 }), sig, new DictionaryTree(), true));
        // Out of order: the roots part of a 5-block proof reversed.
        var five = TestFeed.FromVectors(5);
        var p5 = ProofBuilder.Build(five.Tree, 0).Nodes.ToArray(); // [2, 5, 8]
        AssertFails("", () => ProofVerifier.Verify(five.Keys.PublicKey, 0, five.Blocks[0], [p5[0], p5[2], p5[1]], five.Signatures[4], new DictionaryTree(), true));
        // Extra node after the roots.
        AssertFails("unexpected", () => ProofVerifier.Verify(pk, 3, value, [.. proof, s_feed.Tree.Nodes[28]], sig, new DictionaryTree(), true));
        // A far-away node stretches the signed length: roots missing, not an arithmetic fault.
        AssertFails("not a root", () => ProofVerifier.Verify(pk, 3, value, [.. proof, proof[0] with { Index = TreeIndex.MaxNodeIndex - 1 }], sig, new DictionaryTree(), true));
    }

    [Fact]
    public void RandomGarbageNeverEscapesAsAnotherException()
    {
        var rng = new Random(99);
        var pk = s_feed.Keys.PublicKey;
        for (var iter = 0; iter < 500; iter++)
        {
            var count = rng.Next(0, 8);
            var nodes = new List<TreeNode>();
            for (var i = 0; i < count; i++)
            {
                var h = new byte[rng.Next(10) == 0 ? 31 : 32];
                rng.NextBytes(h);
                var idx = rng.Next(3) == 0 ? (ulong)rng.NextInt64() : (ulong)rng.Next(64);
                nodes.Add(new TreeNode(idx, h, rng.Next(2) == 0 ? (ulong)rng.Next(10) : (ulong)rng.NextInt64()));
            }
            var sig = new byte[64];
            rng.NextBytes(sig);
            var block = rng.Next(2) == 0 ? (ulong)rng.Next(32) : (ulong)rng.NextInt64();
            var local = rng.Next(2) == 0 ? new DictionaryTree() : s_feed.Tree;
            try
            {
                ProofVerifier.Verify(pk, block, rng.Next(4) == 0 ? null : new byte[] { 1 }, nodes, rng.Next(3) == 0 ? null : sig, local, rng.Next(2) == 0);
            }
            catch (ProofVerificationException) { }
        }
    }

    private static void AssertFails(string messagePart, Action act)
    {
        var e = Assert.Throws<ProofVerificationException>(act);
        Assert.Contains(messagePart, e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
