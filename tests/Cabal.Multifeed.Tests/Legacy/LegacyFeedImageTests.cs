using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Legacy;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Legacy;

// The writer's files against the ones hypercore 9 wrote for the same feeds (Data/legacy-store), byte for
// byte: headers, tree, data, keys and the bitfield with its index.
public sealed class LegacyFeedImageTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RebuildsTheFilesHypercoreWrote(int slot)
    {
        var js = LegacyFixture.Files(slot);
        var feed = LegacyFeedVerifier.Verify(js).Feed!;
        // The reader keeps only the signatures it needed; hypercore keeps one per append or proof.
        var all = new List<(ulong, byte[])>();
        for (var i = 0; 32 + (i + 1) * 64 <= js.Signatures!.Length; i++)
        {
            var sig = js.Signatures.AsSpan(32 + i * 64, 64);
            if (sig.ContainsAnyExcept((byte)0)) all.Add(((ulong)i, sig.ToArray()));
        }
        var image = LegacyFeedImage.Build(feed with { Signatures = all });

        Assert.Equal(js.Key, image[LegacyFeedFiles.KeyFile]);
        Assert.Equal(js.SecretKey, image.GetValueOrDefault(LegacyFeedFiles.SecretKeyFile));
        Assert.Equal(js.LocalName, image.GetValueOrDefault(LegacyFeedFiles.LocalNameFile));
        Assert.Equal(js.Tree, image[LegacyFeedFiles.TreeFile]);
        Assert.Equal(js.Signatures, image[LegacyFeedFiles.SignaturesFile]);
        Assert.Equal(js.Data, image.GetValueOrDefault(LegacyFeedFiles.DataFile));
        Assert.Equal(TestPaths.ToHex(js.Bitfield!), TestPaths.ToHex(image[LegacyFeedFiles.BitfieldFile]));
    }

    [Fact]
    public void WhatItWritesReadsBackTheSame()
    {
        var t = TestFeed.Letters(37);
        var source = LegacyFixture.FromTestFeed(t, "local", withSecret: true);
        var feed = LegacyFeedVerifier.Verify(LegacyFixture.ToFiles(source)).Feed!;
        Assert.Equal(source.PublicKey, feed.PublicKey);
        Assert.Equal(source.SecretKey, feed.SecretKey);
        Assert.Equal("local", feed.Name);
        Assert.Equal(37UL, feed.Length);
        Assert.Equal(source.Roots.Select(r => TestPaths.ToHex(r.Hash)), feed.Roots.Select(r => TestPaths.ToHex(r.Hash)));
        Assert.Equal(t.Blocks, feed.Blocks.Select(b => b.Data.ToArray()));
    }

    [Fact]
    public void TheIndexSummarisesDataBytesAsHypercoreDoes()
    {
        // Data bytes ff ff f0 00 (20 blocks): leaf 11 11 01 00 = f4; parent 1 = (f→11, 4→01 | 0) = d0;
        // then every ancestor up to 511 carries 01 00 on the left = 0x40 (spec §3.1).
        var data = new byte[1024];
        data[0] = 0xFF; data[1] = 0xFF; data[2] = 0xF0;
        var index = LegacyBitfield.BuildIndex(data, 512);
        Assert.Equal(0xF4, index[0]);
        Assert.Equal(0xD0, index[1]);
        Assert.Equal(0x40, index[3]);
        Assert.Equal(0x40, index[511]);
        Assert.Equal(0x00, index[2]);
    }

    [Fact]
    public void AnEmptyFeedIsHeadersAndKeysOnly()
    {
        var js = LegacyFixture.Files(3);
        var image = LegacyFeedImage.Build(LegacyFeedVerifier.Verify(js).Feed!);
        Assert.False(image.ContainsKey(LegacyFeedFiles.DataFile));
        Assert.Equal(SleepHeader.Bitfield.ToBytes(), image[LegacyFeedFiles.BitfieldFile]);
        Assert.Equal(SleepHeader.Tree.ToBytes(), image[LegacyFeedFiles.TreeFile]);
        Assert.Equal(SleepHeader.Signatures.ToBytes(), image[LegacyFeedFiles.SignaturesFile]);
    }

    [Fact]
    public void SleepHeadersAreTheOnesHypercoreWrites()
    {
        Assert.Equal("0502570000" + "0e00" + "00" + new string('0', 48), TestPaths.ToHex(SleepHeader.Bitfield.ToBytes()));
        Assert.Equal("05025701000040074564323535313900" + new string('0', 32), TestPaths.ToHex(SleepHeader.Signatures.ToBytes()));
        Assert.Equal("0502570200002807424c414b45326200" + new string('0', 32), TestPaths.ToHex(SleepHeader.Tree.ToBytes()));
        Assert.True(SleepHeader.TryParse(SleepHeader.Tree.ToBytes(), SleepHeader.Tree, out var h, out _));
        Assert.Equal(40, h.EntrySize);
        Assert.False(SleepHeader.TryParse(SleepHeader.Tree.ToBytes(), SleepHeader.Signatures, out _, out var error));
        Assert.Contains("file type", error);
    }

    [Fact]
    public void ACabalIsWrittenWholeOrNotAtAll()
    {
        using var dir = new TempDir();
        var feeds = Enumerable.Range(0, 3).Select(i => LegacyFeedVerifier.Verify(LegacyFixture.Files(i)).Feed!).ToList();
        var target = dir.Sub("out");
        LegacyCabalWriter.Write(target, feeds);
        Assert.Equal(["0", "1", "2"], Directory.EnumerateDirectories(target).Select(Path.GetFileName).Order());
        Assert.Single(Directory.EnumerateFileSystemEntries(dir.Path)); // no staging left behind

        Assert.Throws<IOException>(() => LegacyCabalWriter.Write(target, feeds)); // not empty
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => LegacyCabalWriter.Write(dir.Sub("other"), feeds, cts.Token));
        Assert.False(Directory.Exists(dir.Sub("other")));
        Assert.Single(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AFeedWithAHoleNeedsTheRootsLeftOfEachBlock()
    {
        var t = TestFeed.Letters(6);
        var feed = LegacyFixture.FromTestFeed(t, held: [4]) with { Nodes = [t.Tree.Nodes[8]] };
        Assert.Throws<ArgumentException>(() => LegacyFeedImage.Build(feed));
        Assert.NotEmpty(LegacyFeedImage.Build(LegacyFixture.FromTestFeed(t, held: [4]))[LegacyFeedFiles.DataFile]);
    }
}
