using Cabal.Multifeed.Legacy;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Cabal.Tests;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests.Legacy;

// The importer core on copies of the hypercore-written store (Data/legacy-store) into real LMDB.
public sealed class LegacyImporterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private FeedStore OpenStore() => FeedStore.Open(_dir.Sub("ours"));

    [Fact]
    public async Task ImportsEveryFeedAndAdoptsTheLocalWriter()
    {
        var source = LegacyCabalStore.Open(LegacyFixture.CopyTo(_dir));
        Assert.Equal(ToHex(LegacyFixture.CabalKey), source.KeyHex); // from the directory's name
        await using var store = OpenStore();
        var report = await LegacyImporter.ImportAsync(store, source);

        Assert.False(report.Refused);
        Assert.Equal((4, 4, 0), (report.Feeds, report.FeedsImported, report.FeedsSkipped));
        Assert.Equal(29UL, report.BlocksVerified);
        Assert.Equal(29UL, report.NewBlocks);
        Assert.Empty(report.Problems);
        Assert.Equal(new LegacyIdentityOutcome(LegacyFixture.Expected(0).Key, true, null, "0"), report.LocalIdentity);

        var feeds = store.List(LegacyFixture.CabalKey).ToList();
        Assert.Equal(4, feeds.Count);
        var local = Assert.Single(feeds, f => f.Writable);
        Assert.Equal((LegacyFixture.Expected(0).Key, "local"), (local.KeyHex, local.Name));
        // Slot order is kept: the store numbers feeds as they come.
        Assert.Equal(Enumerable.Range(0, 4).Select(s => LegacyFixture.Expected(s).Key), feeds.Select(f => f.KeyHex));
    }

    [Fact]
    public async Task ImportingAgainAddsOnlyWhatIsNew()
    {
        var source = LegacyCabalStore.Open(LegacyFixture.CopyTo(_dir));
        await using var store = OpenStore();
        await LegacyImporter.ImportAsync(store, source);
        var commits = store.CommitCount;
        var again = await LegacyImporter.ImportAsync(store, source);
        Assert.Equal((4, 29UL, 0UL), (again.FeedsImported, again.BlocksVerified, again.NewBlocks));
        Assert.Equal(commits, store.CommitCount);
        Assert.True(again.LocalIdentity!.Adopted);
    }

    [Fact]
    public async Task DamagedFeedsAreSkippedWithTheirReasonAndTheOthersImported()
    {
        var dir = LegacyFixture.CopyTo(_dir);
        var data = Path.Combine(dir, "1", "data");
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..^7]);      // truncated data
        File.Delete(Path.Combine(dir, "2", "key"));                     // missing key
        await using var store = OpenStore();
        var report = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(dir));

        Assert.Equal((4, 2, 2), (report.Feeds, report.FeedsImported, report.FeedsSkipped));
        Assert.Equal([("1", LegacyProblemKind.BadData), ("2", LegacyProblemKind.MissingKey)], report.Problems.Select(p => (p.Slot!, p.Kind)));
        Assert.Contains(report.Notes, n => n.StartsWith("feed 3 comes after a slot without a key"));
        Assert.Equal(5UL, report.NewBlocks);
        Assert.Equal(2, store.Feeds.Count);
    }

    [Fact]
    public async Task AFeedStoredTwiceIsImportedOnceAndTheCopyReported()
    {
        var dir = LegacyFixture.CopyTo(_dir);
        Directory.CreateDirectory(Path.Combine(dir, "4"));
        foreach (var f in Directory.EnumerateFiles(Path.Combine(dir, "1"))) File.Copy(f, Path.Combine(dir, "4", Path.GetFileName(f)));
        await using var store = OpenStore();
        var report = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(dir));
        var problem = Assert.Single(report.Problems);
        Assert.Equal((LegacyProblemKind.Conflict, "4", "the same feed as slot 1"), (problem.Kind, problem.Slot, problem.Reason));
        Assert.Equal((5, 4, 29UL), (report.Feeds, report.FeedsImported, report.NewBlocks));
    }

    [Fact]
    public async Task ATornLastAppendIsImportedUpToItsSignedLength()
    {
        var dir = LegacyFixture.CopyTo(_dir);
        var tree = Path.Combine(dir, "0", "tree");
        File.WriteAllBytes(tree, File.ReadAllBytes(tree)[..(32 + 8 * 40)]);
        await using var store = OpenStore();
        var report = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(dir));
        Assert.Empty(report.Problems);
        Assert.Equal(1UL, report.BlocksNotTaken);
        Assert.Equal(4UL, store.TryGet(Hex(LegacyFixture.Expected(0).Key))!.Length);
        Assert.Contains(report.Notes, n => n.StartsWith("feed 0:") && n.Contains("not taken"));
    }

    [Fact]
    public async Task AStoreWithoutAKnownCabalKeyIsRefused()
    {
        var dir = LegacyFixture.CopyTo(_dir);
        var renamed = _dir.Sub("some-cabal");
        Directory.Move(dir, renamed);
        await using var store = OpenStore();
        var report = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(renamed));
        Assert.True(report.Refused);
        Assert.Equal(LegacyProblemKind.UnknownCabalKey, Assert.Single(report.Problems).Kind);
        Assert.Empty(store.Feeds);

        var keyed = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(renamed, LegacyFixture.CabalKey));
        Assert.Equal(4, keyed.FeedsImported);
    }

    [Fact]
    public async Task AnotherLocalIdentityInTheStoreIsNotReplaced()
    {
        await using var store = OpenStore();
        var ours = await store.CreateWritableAsync(Ed25519.NewKeyPair(), "local", LegacyFixture.CabalKey);
        var report = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(LegacyFixture.CopyTo(_dir)));
        var problem = Assert.Single(report.Problems);
        Assert.Equal((LegacyProblemKind.Identity, "0"), (problem.Kind, problem.Slot));
        Assert.Contains(ours.KeyHex, problem.Reason);
        Assert.False(report.LocalIdentity!.Adopted);
        Assert.Equal(4, report.FeedsImported);
        Assert.False(store.TryGet(Hex(LegacyFixture.Expected(0).Key))!.Writable);
    }

    [Fact]
    public async Task AWriterAlreadyHeldReadOnlyIsNotMadeWritableHere()
    {
        var source = LegacyCabalStore.Open(LegacyFixture.CopyTo(_dir));
        await using var store = OpenStore();
        await LegacyImporter.ImportAsync(store, source, new LegacyImportOptions { AdoptLocalIdentity = false });
        var report = await LegacyImporter.ImportAsync(store, source);
        Assert.Equal(LegacyProblemKind.Identity, Assert.Single(report.Problems).Kind);
        Assert.Contains("read-only", report.LocalIdentity!.Reason);
    }

    [Fact]
    public async Task SmallChunksGiveTheSameResult()
    {
        await using var store = OpenStore();
        var report = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(LegacyFixture.CopyTo(_dir)),
            new LegacyImportOptions { ChunkFeeds = 1, MaxChunkBytes = 1, Parallelism = 1 });
        Assert.Equal((4, 29UL), (report.FeedsImported, report.NewBlocks));
        Assert.InRange(store.CommitCount, 1, 4); // one write operation per feed; the store may fold queued ones into one commit
    }

    [Fact]
    public void FindsCabalsUnderAnArchivesDirectory()
    {
        var archives = _dir.Sub("archives");
        Directory.CreateDirectory(archives);
        var one = LegacyFixture.CopyTo(_dir);
        Directory.Move(one, Path.Combine(archives, Path.GetFileName(one)));
        Directory.CreateDirectory(Path.Combine(archives, new string('a', 64), "0")); // a cabal whose feed has no files
        Directory.CreateDirectory(Path.Combine(archives, "not-a-key", "0"));
        Directory.CreateDirectory(Path.Combine(archives, new string('b', 64), "views"));  // no feeds: not a cabal

        var found = LegacyCabalStore.Discover(archives);
        Assert.Equal(new[] { ToHex(LegacyFixture.CabalKey), new string('a', 64) }.Order(), found.Select(s => s.KeyHex).Order());
        Assert.Single(LegacyCabalStore.Discover(found[0].Path));
        Assert.Equal(["0", "1", "2", "3"], found.Single(s => s.KeyHex == ToHex(LegacyFixture.CabalKey)).FeedDirectories.Select(Path.GetFileName));
    }

    [Fact]
    public void SlotsAreReadInNumericOrderAndOnlyCanonicalNamesCount()
    {
        var root = _dir.Sub("c");
        foreach (var name in new[] { "0", "2", "10", "1", "01", "x", "views" }) Directory.CreateDirectory(Path.Combine(root, name));
        Assert.Equal(["0", "1", "2", "10"], LegacyCabalStore.Open(root).FeedDirectories.Select(Path.GetFileName));
    }
}
