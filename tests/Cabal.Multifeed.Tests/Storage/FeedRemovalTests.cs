using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Storage;

// Removing a feed is two-phase (FeedStore.Removal.cs): a durable removal, then purges in bounded
// commits; a purge cut short by a close resumes at the next open, and nothing of another feed moves.
public sealed class FeedRemovalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private FeedStore OpenStore() => FeedStore.Open(_dir.Path, new FeedStoreOptions { Durable = false });

    [Fact]
    public async Task APurgeIsBatchedAndAnInterruptedOneResumesAtTheNextOpen()
    {
        const int blocks = 3 * FeedStore.PurgeRecordsPerCommit / 2; // blocks, nodes, signatures: several commits
        string keep;
        await using (var store = OpenStore())
        {
            var big = await store.CreateWritableAsync();
            var other = await store.CreateWritableAsync();
            keep = other.KeyHex;
            await other.AppendAsync("keep"u8.ToArray());
            for (var i = 0; i < blocks; i += 1000)
                await big.AppendBatchAsync(Enumerable.Range(i, Math.Min(1000, blocks - i)).Select(n => (ReadOnlyMemory<byte>)BitConverter.GetBytes(n)).ToList());
            var removed = 0;
            store.FeedRemoved += f => { if (f == big) removed++; };
            await store.RemoveAsync(big);
            Assert.Equal(1, removed);
            Assert.Null(store.TryGet(big.Key));
            Assert.Throws<ObjectDisposedException>(() => big.Get(0));
            // Closed at once: the purge is cut short (its marker stays).
        }
        await using (var store = OpenStore())
        {
            var commits = store.CommitCount;
            await store.WaitForPurgesAsync();
            Assert.Equal(0, store.PurgesPending);
            var only = Assert.Single(store.Feeds);
            Assert.Equal(keep, only.KeyHex);
            Assert.Equal("keep"u8.ToArray(), only.Get(0));
            Assert.Equal(1, store.CountEntriesForTests(store.Blocks));
            Assert.Equal(1, store.CountEntriesForTests(store.Signatures));
        }
        await using (var store = OpenStore())
        {
            Assert.Equal(0, store.PurgesPending); // the marker went with the last batch
        }
    }

    [Fact]
    public async Task AForgottenKeyStaysForgottenAcrossOpensAndWritesOfARemovedFeedAreRefused()
    {
        var pair = Ed25519.NewKeyPair();
        await using (var store = OpenStore())
        {
            var feed = await store.CreateWritableAsync(pair);
            await feed.AppendAsync("x"u8.ToArray());
            var pending = feed.AppendAsync("late"u8.ToArray());
            await store.RemoveAsync(feed, remember: true);
            try { await pending; } catch (ObjectDisposedException) { } // queued before the removal: written or refused, never resurrecting it
            Assert.True(store.IsForgotten(pair.PublicKey));
            Assert.True(store.IsForgotten(Convert.ToHexStringLower(pair.PublicKey)));
        }
        await using (var store = OpenStore())
        {
            await store.WaitForPurgesAsync();
            Assert.Empty(store.Feeds);
            Assert.True(store.IsForgotten(pair.PublicKey));
            Assert.Equal(0, store.CountEntriesForTests(store.Blocks));
        }
    }

    [Fact]
    public async Task CompactionShrinksTheFileAndKeepsEveryRecord()
    {
        string keep;
        await using (var store = OpenStore())
        {
            var big = await store.CreateWritableAsync();
            var other = await store.CreateWritableAsync();
            keep = other.KeyHex;
            await other.AppendAsync("keep"u8.ToArray());
            var payload = new byte[4096];
            for (var i = 0; i < 4; i++)
                await big.AppendBatchAsync(Enumerable.Range(0, 500).Select(_ => (ReadOnlyMemory<byte>)payload).ToList());
            await store.RemoveAsync(big);
            await store.WaitForPurgesAsync();
        }
        var (before, after) = LmdbCompactor.Compact(_dir.Path);
        Assert.True(after < before / 2, $"{before} -> {after}");
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, ".compact")));
        await using (var store = OpenStore())
        {
            var only = Assert.Single(store.Feeds);
            Assert.Equal(keep, only.KeyHex);
            Assert.Equal("keep"u8.ToArray(), only.Get(0));
            await only.AppendAsync("after"u8.ToArray()); // writable as before
        }
    }
}
