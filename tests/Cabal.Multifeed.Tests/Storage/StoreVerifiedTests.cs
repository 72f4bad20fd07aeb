using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Legacy;
using Cabal.Multifeed.Storage;
using Cabal.Multifeed.Tests.Legacy;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Storage;

// FeedStore.StoreVerifiedAsync on real LMDB: whole feeds in one transaction, only what is new, a fork
// refused, nothing left behind when the commit fails.
public sealed class StoreVerifiedTests : IDisposable
{
    private readonly TempDir _dir = new();
    private static readonly byte[] Group = LegacyFixture.CabalKey;

    public void Dispose() => _dir.Dispose();

    private FeedStore Open(FeedStoreOptions? options = null) => FeedStore.Open(_dir.Sub("store"), options);

    private static VerifiedFeedData FromLegacy(LegacyFeed f, bool identity = false)
        => f with { Group = Group, SecretKey = identity ? f.SecretKey : null, Name = identity ? f.Name : null };

    private static LegacyFeed Fixture(int slot) => LegacyFeedVerifier.Verify(LegacyFixture.Files(slot)).Feed!;

    [Fact]
    public async Task StoresFeedsAsHypercoreHeldThem()
    {
        await using (var store = Open())
        {
            var results = await store.StoreVerifiedAsync([FromLegacy(Fixture(0), identity: true), FromLegacy(Fixture(1)), FromLegacy(Fixture(2)), FromLegacy(Fixture(3), identity: true)]);
            Assert.All(results, r => Assert.True(r.Created && r.Refused is null));
            Assert.Equal([5UL, 20, 4, 0], results.Select(r => r.NewBlocks));
            Assert.Equal(1, store.CommitCount);
        }
        await using (var store = Open())
        {
            for (var slot = 0; slot < 4; slot++)
            {
                var expected = LegacyFixture.Expected(slot);
                var feed = store.TryGet(TestPaths.Hex(expected.Key))!;
                Assert.Equal(expected.Length, feed.Length);
                Assert.Equal(expected.ByteLength, feed.ByteLength);
                Assert.Equal(expected.Writable, feed.Writable);
                Assert.Equal(Group, feed.Group.ToArray());
                for (ulong i = 0; i < feed.Length; i++)
                {
                    Assert.Equal(expected.Blocks.ContainsKey(i), feed.Has(i));
                    if (expected.Blocks.TryGetValue(i, out var block)) Assert.Equal(block, feed.Get(i));
                }
                Assert.True(feed.Audit().Ok, string.Join("; ", feed.Audit().Problems));
            }
            Assert.Equal("local", store.TryGet(TestPaths.Hex(LegacyFixture.Expected(0).Key))!.Name);
            Assert.Equal(4UL, store.TryGet(TestPaths.Hex(LegacyFixture.Expected(2).Key))!.DownloadedCount());
        }
    }

    [Fact]
    public async Task StoringTheSameAgainWritesNothing()
    {
        await using var store = Open();
        var batch = Enumerable.Range(0, 4).Select(s => FromLegacy(Fixture(s), identity: true)).ToList();
        await store.StoreVerifiedAsync(batch);
        var commits = store.CommitCount;
        var again = await store.StoreVerifiedAsync(batch);
        Assert.All(again, r => Assert.Equal((false, 0UL, (string?)null), (r.Created, r.NewBlocks, r.Refused)));
        Assert.Equal(commits, store.CommitCount);
        Assert.Equal(4, store.Feeds.Count);
    }

    [Fact]
    public async Task AddsOnlyWhatIsNew()
    {
        var t = TestFeed.Letters(12);
        var partial = FromLegacy(LegacyFixture.FromTestFeed(t, held: [0, 1, 2, 7]) with { Signatures = [(11UL, t.Signatures[11])] });
        var full = FromLegacy(LegacyFixture.FromTestFeed(t) with { Signatures = [(11UL, t.Signatures[11])] });
        await using (var store = Open())
        {
            var first = Assert.Single(await store.StoreVerifiedAsync([partial]));
            Assert.Equal(4UL, first.NewBlocks);
            var feed = first.Feed!;
            var appended = new List<ulong>();
            var downloaded = new List<ulong>();
            feed.Appended += (_, e) => appended.Add(e.Start);
            feed.Downloaded += (_, e) => downloaded.Add(e.Index);
            var second = Assert.Single(await store.StoreVerifiedAsync([full]));
            Assert.False(second.Created);
            Assert.Equal(8UL, second.NewBlocks);
            Assert.Equal(8UL, second.NewBytes);
            Assert.Equal([3UL, 4, 5, 6, 8, 9, 10, 11], downloaded);
            Assert.Empty(appended); // the length was already 12
            Assert.Equal(12UL, feed.Contiguous);
        }
        await using (var store = Open())
        {
            var feed = Assert.Single(store.Feeds);
            Assert.Equal(12UL, feed.Contiguous);
            Assert.True(feed.Audit().Ok);
        }
    }

    [Fact]
    public async Task AFeedThatGrewIsExtendedAndAnnounced()
    {
        var t = TestFeed.Letters(9);
        var five = new TestFeed(new byte[32]);
        for (var i = 0; i < 5; i++) five.Append(t.Blocks[i]);
        await using var store = Open();
        var feed = (await store.StoreVerifiedAsync([FromLegacy(LegacyFixture.FromTestFeed(five))]))[0].Feed!;
        var appended = new List<(ulong, ulong)>();
        feed.Appended += (_, e) => appended.Add((e.Start, e.Count));
        var r = Assert.Single(await store.StoreVerifiedAsync([FromLegacy(LegacyFixture.FromTestFeed(t))]));
        Assert.Equal(4UL, r.NewBlocks);
        Assert.Equal([(5UL, 4UL)], appended);
        Assert.Equal(9UL, feed.Length);
        Assert.Equal(TestPaths.ToHex(t.Signatures[8]), TestPaths.ToHex(feed.Signature));
    }

    [Fact]
    public async Task AForkedWriterIsRefusedAndTheRestStored()
    {
        var a = new TestFeed(new byte[32]);
        var b = new TestFeed(new byte[32]); // same key, different third block
        foreach (var s in new[] { "x", "y", "z" }) a.Append(System.Text.Encoding.ASCII.GetBytes(s));
        foreach (var s in new[] { "x", "y", "Z" }) b.Append(System.Text.Encoding.ASCII.GetBytes(s));
        await using var store = Open();
        await store.StoreVerifiedAsync([FromLegacy(LegacyFixture.FromTestFeed(a))]);
        var results = await store.StoreVerifiedAsync([FromLegacy(LegacyFixture.FromTestFeed(b)), FromLegacy(Fixture(1))]);
        Assert.Contains("forked", results[0].Refused);
        Assert.Null(results[0].Feed);
        Assert.Equal(20UL, results[1].NewBlocks);
        Assert.Equal("z"u8.ToArray(), store.TryGet(a.Keys.PublicKey)!.Get(2));
    }

    [Fact]
    public async Task AFeedOfAnotherCabalIsRefused()
    {
        await using var store = Open();
        await store.StoreVerifiedAsync([FromLegacy(Fixture(1))]);
        var r = Assert.Single(await store.StoreVerifiedAsync([FromLegacy(Fixture(1)) with { Group = new byte[32] }]));
        Assert.Contains("another cabal", r.Refused);
    }

    [Fact]
    public async Task AnImportedWriterKeepsAppendingOnTheSameTree()
    {
        var t = TestFeed.Letters(5);
        await using var store = Open();
        var feed = (await store.StoreVerifiedAsync([FromLegacy(LegacyFixture.FromTestFeed(t, "local", withSecret: true), identity: true)]))[0].Feed!;
        Assert.True(feed.Writable);
        await feed.AppendAsync("f"u8.ToArray());
        t.Append("f"u8.ToArray());
        Assert.Equal(TestPaths.ToHex(t.Signatures[5]), TestPaths.ToHex(feed.Signature));
        Assert.True(feed.Audit().Ok);
    }

    [Fact]
    public async Task ArgumentsAreCheckedBeforeAnythingIsStored()
    {
        await using var store = Open();
        var good = FromLegacy(Fixture(1));
        var t = TestFeed.Letters(3);
        var bad = new[]
        {
            good with { PublicKey = new byte[31] },
            good with { Roots = good.Roots[..1] },
            good with { Signature = null },
            good with { Blocks = [.. good.Blocks.Reverse()] },
            good with { Blocks = [new VerifiedBlock(20, new byte[1])] },
            good with { SecretKey = new byte[64] },
            FromLegacy(LegacyFixture.FromTestFeed(t, "local", withSecret: true, held: [0, 2]), identity: true), // a writer with a hole
        };
        foreach (var b in bad)
            await Assert.ThrowsAsync<ArgumentException>(() => store.StoreVerifiedAsync([FromLegacy(Fixture(2)), b]));
        await Assert.ThrowsAsync<ArgumentException>(() => store.StoreVerifiedAsync([good, good]));
        Assert.Empty(store.Feeds);
        Assert.Equal(0, store.CommitCount);
    }

    [Fact]
    public async Task AFailedCommitLeavesNothingBehind()
    {
        // A map too small for the batch: LMDB fails the write, the batch's feeds disappear again.
        var big = new TestFeed(new byte[32]);
        for (var i = 0; i < 40; i++) big.Append(new byte[64 * 1024]);
        await using (var store = Open(new FeedStoreOptions { MapSize = 1 << 20 }))
        {
            await store.StoreVerifiedAsync([FromLegacy(Fixture(1))]);
            await Assert.ThrowsAnyAsync<Exception>(() => store.StoreVerifiedAsync([FromLegacy(Fixture(2)), FromLegacy(LegacyFixture.FromTestFeed(big))]));
            Assert.Single(store.Feeds);
            Assert.Null(store.TryGet(big.Keys.PublicKey));
            Assert.Null(store.TryGet(Fixture(2).PublicKey));
            var fine = Assert.Single(await store.StoreVerifiedAsync([FromLegacy(Fixture(2))]));
            Assert.True(fine.Created);
        }
        await using (var store = Open(new FeedStoreOptions { MapSize = 1 << 20 }))
        {
            Assert.Equal(2, store.Feeds.Count);
            Assert.All(store.Feeds, f => Assert.True(f.Audit().Ok));
        }
    }

    [Fact]
    public async Task ARolledBackExtensionRestoresTheFeed()
    {
        var t = new TestFeed(new byte[32]);
        for (var i = 0; i < 40; i++) t.Append(new byte[64 * 1024]);
        await using var store = Open(new FeedStoreOptions { MapSize = 1 << 20 });
        var feed = (await store.StoreVerifiedAsync([FromLegacy(LegacyFixture.FromTestFeed(t, held: [0]))]))[0].Feed!;
        await Assert.ThrowsAnyAsync<Exception>(() => store.StoreVerifiedAsync([FromLegacy(LegacyFixture.FromTestFeed(t))]));
        Assert.Equal(40UL, feed.Length);
        Assert.Equal(1UL, feed.DownloadedCount());
        Assert.True(feed.Has(0));
        Assert.False(feed.Has(1));
        Assert.False(feed.HasPendingOverlay);
    }
}
