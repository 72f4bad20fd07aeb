using Cabal.Multifeed.Legacy;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests.Legacy;

// The reader against the bytes hypercore 9 itself wrote (Data/legacy-store), and every kind of damage
// applied to copies of them in memory: each gives a reason, none throws.
public sealed class LegacyFeedVerifierTests
{
    [Theory]
    [InlineData(0, "local")] // writer, appended as [2, 1, 1, 1] blocks
    [InlineData(1, null)]    // downloaded in full
    [InlineData(2, null)]    // downloaded sparsely: blocks 0, 5, 6, 17 of 20
    [InlineData(3, "second")] // a writer with no blocks
    public void ReadsWhatHypercoreWrote(int slot, string? localName)
    {
        var expected = LegacyFixture.Expected(slot);
        var result = LegacyFeedVerifier.Verify(LegacyFixture.Files(slot));
        Assert.True(result.Ok, result.Problem?.ToString());
        var feed = result.Feed!;
        Assert.Equal(expected.Key, ToHex(feed.PublicKey));
        Assert.Equal(expected.Length, feed.Length);
        Assert.Equal(expected.Length, feed.TreeLength);
        Assert.Equal(expected.ByteLength, feed.ByteLength);
        Assert.Equal(expected.Writable, feed.SecretKey is not null);
        Assert.Equal(localName, feed.Name);
        Assert.Equal(expected.Blocks.Keys, feed.Blocks.Select(b => b.Index));
        Assert.All(feed.Blocks, b => Assert.Equal(expected.Blocks[b.Index], b.Data.ToArray()));
        Assert.Equal(0UL, feed.BlocksPastLength);
        Assert.Empty(feed.Notes);
        if (feed.Length > 0) Assert.Equal((feed.Length - 1, feed.Signature!), feed.Signatures[^1]);
    }

    [Fact]
    public void ASparseFeedKeepsItsLengthAndOnlyItsBlocks()
    {
        var feed = LegacyFeedVerifier.Verify(LegacyFixture.Files(2)).Feed!;
        Assert.Equal(20UL, feed.Length);
        Assert.Equal([0UL, 5, 6, 17], feed.Blocks.Select(b => b.Index));
        Assert.False(feed.IsComplete);
        // Every leaf of a held block is among the verified nodes, and so is every root.
        var nodes = feed.Nodes.Select(n => n.Index).ToHashSet();
        Assert.All(feed.Blocks, b => Assert.Contains(2 * b.Index, nodes));
        Assert.All(feed.Roots, r => Assert.Contains(r.Index, nodes));
    }

    [Fact]
    public void ACompleteFeedVerifiesEveryNodeUnderItsRoots()
    {
        var feed = LegacyFeedVerifier.Verify(LegacyFixture.Files(1)).Feed!;
        Assert.True(feed.IsComplete);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (ulong)i).Where(i => Hypercore.FlatTree.RightSpan(i) < 40), feed.Nodes.Select(n => n.Index));
    }

    [Fact]
    public void ATruncatedDataFileIsReported()
    {
        var files = LegacyFixture.Files(1);
        var result = LegacyFeedVerifier.Verify(files with { Data = files.Data![..^10] });
        Assert.Equal(LegacyProblemKind.BadData, result.Problem!.Kind);
        Assert.Contains("truncated", result.Problem.Reason);
        Assert.Equal("1", result.Problem.Slot);
    }

    [Fact]
    public void AFlippedDataByteIsReported()
    {
        var files = LegacyFixture.Files(0);
        var result = LegacyFeedVerifier.Verify(files with { Data = LegacyFixture.Flip(files.Data!, 150) });
        Assert.Equal(LegacyProblemKind.BadData, result.Problem!.Kind);
        Assert.Contains("block 1 does not match its leaf hash", result.Problem.Reason);
    }

    [Theory]
    [InlineData(0)]  // leaf 0's hash
    [InlineData(2)]  // leaf 1's hash
    [InlineData(4)]  // node 0's size: its parent no longer matches
    public void AFlippedTreeByteBelowARootIsReported(int which)
    {
        var files = LegacyFixture.Files(1);
        var offset = which switch { 0 => 32 + 5, 2 => 32 + 2 * 40 + 5, _ => 32 + 39 };
        var result = LegacyFeedVerifier.Verify(files with { Tree = LegacyFixture.Flip(files.Tree!, offset) });
        Assert.Equal(LegacyProblemKind.BadTree, result.Problem!.Kind);
        Assert.Contains("does not match its children", result.Problem.Reason);
    }

    [Fact]
    public void AFlippedRootByteFailsTheSignature()
    {
        var files = LegacyFixture.Files(1); // 20 blocks: roots 15 and 35
        var result = LegacyFeedVerifier.Verify(files with { Tree = LegacyFixture.Flip(files.Tree!, 32 + 35 * 40 + 7) });
        Assert.Equal(LegacyProblemKind.BadSignature, result.Problem!.Kind);
        Assert.Contains("length 20 does not verify", result.Problem.Reason);
    }

    [Fact]
    public void AFlippedSignatureByteIsReported()
    {
        var files = LegacyFixture.Files(0); // the signature for length 5 is entry 4
        var result = LegacyFeedVerifier.Verify(files with { Signatures = LegacyFixture.Flip(files.Signatures!, 32 + 4 * 64 + 10) });
        Assert.Equal(LegacyProblemKind.BadSignature, result.Problem!.Kind);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(31)]
    public void AMissingOrShortKeyIsReported(int length)
    {
        var files = LegacyFixture.Files(1);
        var result = LegacyFeedVerifier.Verify(files with { Key = length < 0 ? null : files.Key![..length] });
        Assert.Equal(LegacyProblemKind.MissingKey, result.Problem!.Kind);
    }

    [Fact]
    public void AnotherFeedsKeyFailsTheSignature()
    {
        var result = LegacyFeedVerifier.Verify(LegacyFixture.Files(1) with { Key = LegacyFixture.Files(2).Key });
        Assert.Equal(LegacyProblemKind.BadSignature, result.Problem!.Kind);
    }

    [Theory]
    [InlineData("tree", 0)]
    [InlineData("tree", 3)]
    [InlineData("signatures", 5)]
    [InlineData("bitfield", 2)]
    [InlineData("bitfield", 3)]
    public void ABadHeaderIsReported(string file, int offset)
    {
        var files = LegacyFixture.Files(1);
        var damaged = file switch
        {
            "tree" => files with { Tree = LegacyFixture.Flip(files.Tree!, offset) },
            "signatures" => files with { Signatures = LegacyFixture.Flip(files.Signatures!, offset) },
            _ => files with { Bitfield = LegacyFixture.Flip(files.Bitfield!, offset) },
        };
        var result = LegacyFeedVerifier.Verify(damaged);
        Assert.Equal(LegacyProblemKind.BadHeader, result.Problem!.Kind);
        Assert.StartsWith(file, result.Problem.Reason);
    }

    [Theory]
    [InlineData("tree", 20)]
    [InlineData("signatures", 10)]
    [InlineData("bitfield", 31)]
    public void AFileShorterThanItsHeaderIsReported(string file, int length)
    {
        var files = LegacyFixture.Files(1);
        var damaged = file switch
        {
            "tree" => files with { Tree = files.Tree![..length] },
            "signatures" => files with { Signatures = files.Signatures![..length] },
            _ => files with { Bitfield = files.Bitfield![..length] },
        };
        var result = LegacyFeedVerifier.Verify(damaged);
        Assert.False(result.Ok);
        Assert.Contains(result.Problem!.Kind, new[] { LegacyProblemKind.Truncated, LegacyProblemKind.BadHeader });
    }

    [Fact]
    public void AZeroedTreeBitfieldIsReportedNotReadAsEmpty()
    {
        var files = LegacyFixture.Files(0);
        var bitfield = files.Bitfield!.ToArray();
        Array.Clear(bitfield, 32 + 1024, 2048);
        var result = LegacyFeedVerifier.Verify(files with { Bitfield = bitfield });
        Assert.Equal(LegacyProblemKind.BadBitfield, result.Problem!.Kind);
        Assert.Contains("block 0", result.Problem.Reason);
    }

    [Fact]
    public void TreeBitsForNodesTheTreeLacksFallBackOneBlockAsHypercoreDoes()
    {
        // Nodes 9 and 10 marked but never written: blocks() says 6, roots(6) need node 9, so length 5.
        var files = LegacyFixture.Files(0);
        var bitfield = files.Bitfield!.ToArray();
        bitfield[32 + 1024 + 1] |= 0x60;
        var feed = LegacyFeedVerifier.Verify(files with { Bitfield = bitfield }).Feed!;
        Assert.Equal(6UL, feed.TreeLength);
        Assert.Equal(5UL, feed.Length);
        Assert.Single(feed.Notes);
    }

    [Fact]
    public void ATreeCutMidFeedKeepsTheBlocksItStillSigns()
    {
        // The writer's last append (block 4, node 8) torn off the tree: hypercore falls back to length 4,
        // signed at entry 3; block 4 is past the verifiable length and not taken.
        var files = LegacyFixture.Files(0);
        var result = LegacyFeedVerifier.Verify(files with { Tree = files.Tree![..(32 + 8 * 40 + 17)] });
        var feed = result.Feed!;
        Assert.Equal(4UL, feed.Length);
        Assert.Equal([0UL, 1, 2, 3], feed.Blocks.Select(b => b.Index));
        Assert.Equal(1UL, feed.BlocksPastLength);
        Assert.Contains(feed.Notes, n => n.Contains("partial record"));
        Assert.Contains(feed.Notes, n => n.Contains("not taken"));
    }

    [Fact]
    public void AMissingHeadSignatureFallsBackToTheLastSignedLength()
    {
        var files = LegacyFixture.Files(0);
        var feed = LegacyFeedVerifier.Verify(files with { Signatures = files.Signatures![..(32 + 4 * 64)] }).Feed!;
        Assert.Equal(4UL, feed.Length);
        Assert.Equal(1UL, feed.BlocksPastLength);
    }

    [Fact]
    public void AFeedWithBlocksAndNoSignatureAtAllIsReported()
    {
        var files = LegacyFixture.Files(1);
        var result = LegacyFeedVerifier.Verify(files with { Signatures = files.Signatures![..32] });
        Assert.Equal(LegacyProblemKind.BadSignature, result.Problem!.Kind);
        Assert.Contains("no signature", result.Problem.Reason);
    }

    [Fact]
    public void AForeignSecretKeyIsIgnoredWithANote()
    {
        var feed = LegacyFeedVerifier.Verify(LegacyFixture.Files(0) with { SecretKey = LegacyFixture.Files(3).SecretKey }).Feed!;
        Assert.Null(feed.SecretKey);
        Assert.Contains(feed.Notes, n => n.Contains("secret_key"));
    }

    [Fact]
    public void AMissingDataFileIsTruncationForEveryListedBlock()
    {
        var result = LegacyFeedVerifier.Verify(LegacyFixture.Files(1) with { Data = null });
        Assert.Equal(LegacyProblemKind.BadData, result.Problem!.Kind);
    }

    [Fact]
    public void ReadingADirectoryNeverWritesToIt()
    {
        var before = Directory.EnumerateFiles(LegacyFixture.Dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => (File.GetLastWriteTimeUtc(f), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))));
        foreach (var dir in LegacyCabalStore.Open(LegacyFixture.Dir, LegacyFixture.CabalKey).FeedDirectories) Assert.True(LegacyFeedVerifier.Read(dir).Ok);
        var after = Directory.EnumerateFiles(LegacyFixture.Dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => (File.GetLastWriteTimeUtc(f), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))));
        Assert.Equal(before, after);
    }

    [Fact]
    public void ASparseFeedWhoseBlocksHangUnderAnEarlierSignedLengthIsVerified()
    {
        // Block 0 downloaded at length 1 (signature 0), then block 7 at length 8 (signature 7): the
        // anchor for length 8 does not reach leaf 0 (node 2 is absent), the one for length 1 does.
        var t = TestFeed.Letters(8);
        var nodes = new ulong[] { 0, 14, 12, 13, 9, 11, 3, 7 }.Select(i => t.Tree.Nodes[i]).OrderBy(n => n.Index).ToList();
        var feed = LegacyFixture.FromTestFeed(t, held: [0, 7]) with
        {
            Nodes = nodes,
            Signatures = [(0UL, SignatureFor(t, 1)), (7UL, t.Signatures[7])],
        };
        var result = LegacyFeedVerifier.Verify(LegacyFixture.ToFiles(feed));
        Assert.True(result.Ok, result.Problem?.ToString());
        Assert.Equal(8UL, result.Feed!.Length);
        Assert.Equal([0UL, 7], result.Feed.Blocks.Select(b => b.Index));
        Assert.Equal([0UL, 7], result.Feed.Signatures.Select(s => s.Index));
    }

    private static byte[] SignatureFor(TestFeed t, int length) => t.Signatures[length - 1];

    [Fact]
    public void AFeedSpanningSeveralBitfieldPagesRoundTrips()
    {
        // 9000 blocks: data bits on two pages, tree bits on two pages.
        var t = new TestFeed(new byte[32]);
        for (var i = 0; i < 9000; i++) t.Append([(byte)i, (byte)(i >> 8)]);
        var source = LegacyFixture.FromTestFeed(t, held: Enumerable.Range(0, 9000).Where(i => i % 7 != 3));
        var files = LegacyFixture.ToFiles(source);
        Assert.Equal(32 + 2 * 3584, files.Bitfield!.Length);
        var feed = LegacyFeedVerifier.Verify(files).Feed!;
        Assert.Equal(9000UL, feed.Length);
        Assert.Equal(source.Blocks.Select(b => b.Index), feed.Blocks.Select(b => b.Index));
        Assert.All(feed.Blocks, b => Assert.Equal(t.Blocks[(int)b.Index], b.Data.ToArray()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void RandomDamageNeverThrowsAndNeverYieldsWrongBlocks(int slot)
    {
        // Deterministic fuzz: flipped bits, truncations and extensions of every file. Whatever the
        // reader still accepts must be the feed's genuine blocks (the signature covers them).
        var original = LegacyFixture.Files(slot);
        var genuine = LegacyFeedVerifier.Verify(original).Feed!.Blocks.ToDictionary(b => b.Index, b => b.Data.ToArray());
        var random = new Random(4242 + slot);
        var names = new[] { "key", "tree", "signatures", "bitfield", "data" };
        int accepted = 0, refused = 0;
        for (var i = 0; i < 3000; i++)
        {
            var files = original;
            for (var k = 0; k < 1 + random.Next(3); k++) files = Damage(files, names[random.Next(names.Length)], random);
            var result = LegacyFeedVerifier.Verify(files);
            if (result.Feed is not { } feed) { refused++; Assert.NotNull(result.Problem); continue; }
            accepted++;
            Assert.All(feed.Blocks, b => Assert.Equal(genuine[b.Index], b.Data.ToArray()));
        }
        Assert.True(refused > 500, $"{refused} refused");
        Assert.True(accepted > 0, $"{accepted} accepted");
    }

    private static LegacyFeedFiles Damage(LegacyFeedFiles f, string name, Random random)
    {
        var bytes = name switch { "key" => f.Key, "tree" => f.Tree, "signatures" => f.Signatures, "bitfield" => f.Bitfield, _ => f.Data } ?? [];
        var copy = bytes.ToArray();
        switch (random.Next(4))
        {
            case 0 when copy.Length > 0: copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8)); break;
            case 1: copy = copy[..random.Next(copy.Length + 1)]; break;
            case 2: copy = [.. copy, .. Enumerable.Range(0, random.Next(1, 100)).Select(_ => (byte)random.Next(256))]; break;
            default: if (copy.Length > 0) copy[random.Next(copy.Length)] = (byte)random.Next(256); break;
        }
        return name switch
        {
            "key" => f with { Key = copy },
            "tree" => f with { Tree = copy },
            "signatures" => f with { Signatures = copy },
            "bitfield" => f with { Bitfield = copy },
            _ => f with { Data = copy },
        };
    }
}
