using Cabal.Multifeed.Legacy;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Cabal.Tests;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests.Legacy;

// Our store back out as hypercore 9 storage: read by our own reader here; by cabal-core in
// tests/Cabal.Interop.Tests (LegacyInteropTests).
public sealed class LegacyExporterTests : IDisposable
{
    private readonly TempDir _dir = new();
    private static readonly byte[] Group = LegacyFixture.CabalKey;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ExportsTheLocalWriterFirstWithItsIdentityThenEveryOtherFeed()
    {
        await using var store = FeedStore.Open(_dir.Sub("ours"));
        var remote = await store.CreateWritableAsync(Ed25519.NewKeyPair(), null, Group); // another writer of ours
        await remote.AppendAsync("r0"u8.ToArray());
        var pair = Ed25519.NewKeyPair();
        var local = await store.CreateWritableAsync(pair, "local", Group);
        for (var i = 0; i < 5; i++) await local.AppendAsync(System.Text.Encoding.UTF8.GetBytes($"hello {i}"));
        await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(LegacyFixture.Dir, Group), new LegacyImportOptions { AdoptLocalIdentity = false });

        var target = _dir.Sub("export");
        var report = await LegacyExporter.ExportAsync(store, Group, target);
        Assert.Equal((6, local.KeyHex, true), (report.Feeds, report.LocalFeedKey, report.WithSecretKey));
        Assert.Contains(report.Notes, n => n.Contains(remote.KeyHex));

        var exported = LegacyCabalStore.Open(target, Group);
        var feeds = exported.FeedDirectories.Select(LegacyFeedVerifier.Read).ToList();
        Assert.All(feeds, f => Assert.True(f.Ok, f.Problem?.ToString()));
        var slot0 = feeds[0].Feed!;
        Assert.Equal((local.KeyHex, "local"), (ToHex(slot0.PublicKey), slot0.Name));
        Assert.Equal(pair.SecretKey, slot0.SecretKey);
        Assert.Equal(5UL, slot0.Length);
        Assert.Equal("hello 4"u8.ToArray(), slot0.Blocks[4].Data.ToArray());
        Assert.All(feeds.Skip(1), f => Assert.Null(f.Feed!.SecretKey));
        Assert.All(feeds.Skip(1), f => Assert.Null(f.Feed!.Name));
        // Each feed exactly as the store holds it, a sparse one included.
        foreach (var f in feeds.Select(r => r.Feed!))
        {
            var ours = store.TryGet(f.PublicKey)!;
            Assert.Equal((ours.Length, ours.DownloadedCount()), (f.Length, (ulong)f.Blocks.Count));
            Assert.All(f.Blocks, b => Assert.Equal(ours.Get(b.Index), b.Data.ToArray()));
        }
    }

    [Fact]
    public async Task ExportThenImportIsTheSameCabal()
    {
        await using var first = FeedStore.Open(_dir.Sub("first"));
        await LegacyImporter.ImportAsync(first, LegacyCabalStore.Open(LegacyFixture.CopyTo(_dir)));
        await LegacyExporter.ExportAsync(first, Group, _dir.Sub("exported"));

        await using var second = FeedStore.Open(_dir.Sub("second"));
        var report = await LegacyImporter.ImportAsync(second, LegacyCabalStore.Open(_dir.Sub("exported"), Group));
        Assert.Empty(report.Problems);
        Assert.True(report.LocalIdentity!.Adopted);
        foreach (var f in first.Feeds)
        {
            var g = second.TryGet(f.Key)!;
            Assert.Equal((f.Length, f.ByteLength, f.DownloadedCount(), f.Writable && f.Name == "local"), (g.Length, g.ByteLength, g.DownloadedCount(), g.Writable));
            Assert.Equal(ToHex(f.Signature ?? []), ToHex(g.Signature ?? []));
        }
    }

    [Fact]
    public async Task BadRequestsChangeNothing()
    {
        await using var store = FeedStore.Open(_dir.Sub("ours"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => LegacyExporter.ExportAsync(store, Group, _dir.Sub("x")));
        var local = await store.CreateWritableAsync(Ed25519.NewKeyPair(), "local", Group);
        await Assert.ThrowsAsync<ArgumentException>(() => LegacyExporter.ExportAsync(store, Group, _dir.Sub("x"), new LegacyExportOptions { LocalSecretKey = Ed25519.NewKeyPair().SecretKey }));
        Directory.CreateDirectory(_dir.Sub("taken"));
        File.WriteAllText(Path.Combine(_dir.Sub("taken"), "a"), "a");
        await Assert.ThrowsAsync<IOException>(() => LegacyExporter.ExportAsync(store, Group, _dir.Sub("taken")));
        Assert.False(Directory.Exists(_dir.Sub("x")));
        Assert.Equal(["a"], Directory.EnumerateFileSystemEntries(_dir.Sub("taken")).Select(Path.GetFileName));
        Assert.NotNull(local);
    }
}
