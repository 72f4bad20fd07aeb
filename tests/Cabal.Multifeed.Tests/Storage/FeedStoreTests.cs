using System.Text;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Cabal.Tests;
using LightningDB;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests.Storage;

// Real LMDB in a temp directory: cheap enough to use everywhere.
public sealed class FeedStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private FeedStore OpenStore() => FeedStore.Open(_dir.Path);

    private static KeyPair VectorKeyPair() => Ed25519.KeyPairFromSeed(Hex(Vectors.GetProperty("feed").GetProperty("seed").GetString()!));

    [Fact]
    public async Task AppendsMatchHypercoreSignaturesAndNodes()
    {
        var feedVectors = Vectors.GetProperty("feed");
        await using (var store = OpenStore())
        {
            var feed = await store.CreateWritableAsync(VectorKeyPair(), "local");
            foreach (var step in feedVectors.GetProperty("steps").EnumerateArray())
            {
                var index = await feed.AppendAsync(Encoding.ASCII.GetBytes(step.GetProperty("block").GetString()!));
                Assert.Equal(step.GetProperty("length").GetUInt64(), index + 1);
                Assert.Equal(step.GetProperty("signature").GetString(), ToHex(feed.Signature));
                Assert.Equal(step.GetProperty("byteLength").GetUInt64(), feed.ByteLength);
                Assert.Equal(step.GetProperty("roots").EnumerateArray().Select(r => r.GetProperty("hash").GetString()), feed.Roots.Select(r => ToHex(r.Hash)));
            }
        }

        await using (var store = OpenStore())
        {
            var feed = Assert.Single(store.Feeds);
            Assert.True(feed.Writable);
            Assert.Equal("local", feed.Name);
            Assert.Equal(16UL, feed.Length);
            Assert.Equal("p", Encoding.ASCII.GetString(feed.Get(15)));
            foreach (var n in feedVectors.GetProperty("finalNodes").EnumerateArray())
            {
                Assert.True(feed.TryGetNode(n.GetProperty("index").GetUInt64(), out var node));
                Assert.Equal(n.GetProperty("hash").GetString(), ToHex(node.Hash));
                Assert.Equal(n.GetProperty("size").GetUInt64(), node.Size);
            }
            for (ulong i = 0; i < 16; i++)
                Assert.Equal(feedVectors.GetProperty("steps")[(int)i].GetProperty("signature").GetString(), ToHex(feed.GetSignature(i)));
        }
    }

    [Fact]
    public async Task BatchAppendSignsOnceAtTheLastIndex()
    {
        await using var store = OpenStore();
        var feed = await store.CreateWritableAsync();
        var first = await feed.AppendBatchAsync(["x"u8.ToArray(), "y"u8.ToArray(), "z"u8.ToArray()]);
        Assert.Equal(0UL, first);
        Assert.Equal(3UL, feed.Length);
        Assert.Null(feed.GetSignature(0));
        Assert.Null(feed.GetSignature(1));
        Assert.NotNull(feed.GetSignature(2));
        Assert.Equal("yz", Encoding.ASCII.GetString(feed.Get(1)) + Encoding.ASCII.GetString(feed.Get(2)));
    }

    [Fact]
    public async Task ConcurrentAppendsShareCommits()
    {
        await using var store = OpenStore();
        var feeds = new List<Feed>();
        for (var i = 0; i < 4; i++) feeds.Add(await store.CreateWritableAsync());
        var before = store.CommitCount;
        var tasks = Enumerable.Range(0, 400).Select(i => feeds[i % 4].AppendAsync(BitConverter.GetBytes(i))).ToArray();
        var indices = await Task.WhenAll(tasks);
        var commits = store.CommitCount - before;
        Assert.True(commits < 200, $"400 appends took {commits} commits");
        Assert.All(feeds, f => Assert.Equal(100UL, f.Length));
        // Each feed's indices are 0..99 in submission order.
        for (var f = 0; f < 4; f++)
            Assert.Equal(Enumerable.Range(0, 100).Select(i => (ulong)i), indices.Where((_, i) => i % 4 == f));
    }

    [Fact]
    public async Task AppendedEventFiresAfterCommit()
    {
        await using var store = OpenStore();
        var feed = await store.CreateWritableAsync();
        var seen = new List<(ulong, ulong, ulong)>();
        feed.Appended += (_, e) => { lock (seen) seen.Add((e.Start, e.Count, feed.Length)); };
        await feed.AppendAsync("a"u8.ToArray());
        await feed.AppendBatchAsync(["b"u8.ToArray(), "c"u8.ToArray()]);
        Assert.Equal([(0UL, 1UL, 1UL), (1UL, 2UL, 3UL)], seen);
    }

    [Fact]
    public async Task StoreWideAppendedEventNamesTheFeed()
    {
        await using var store = OpenStore();
        var a = await store.CreateWritableAsync();
        var b = await store.CreateWritableAsync();
        var seen = new List<(Feed, ulong, ulong)>();
        store.FeedAppended += (sender, e) => { lock (seen) seen.Add(((Feed)sender!, e.Start, e.Count)); };
        await a.AppendAsync("a"u8.ToArray());
        await b.AppendBatchAsync(["b"u8.ToArray(), "c"u8.ToArray()]);
        Assert.Equal([(a, 0UL, 1UL), (b, 0UL, 2UL)], seen);
    }

    [Fact]
    public async Task ReopenListsEveryFeedByGroup()
    {
        var cabalA = new byte[32]; cabalA[0] = 0xaa;
        var cabalB = new byte[32]; cabalB[0] = 0xbb;
        var keys = new List<string>();
        await using (var store = OpenStore())
        {
            for (var i = 0; i < 30; i++)
            {
                var f = await store.CreateWritableAsync(group: i % 3 == 0 ? cabalB : cabalA);
                await f.AppendAsync(Encoding.UTF8.GetBytes($"msg {i}"));
                keys.Add(f.KeyHex);
            }
            var remote = await store.GetOrAddRemoteAsync(Ed25519.NewKeyPair().PublicKey, cabalA);
            Assert.False(remote.Writable);
            Assert.Same(remote, await store.GetOrAddRemoteAsync(remote.Key, cabalA));
            keys.Add(remote.KeyHex);
        }
        await using (var store = OpenStore())
        {
            Assert.Equal(keys.Order(), store.Feeds.Select(f => f.KeyHex).Order());
            Assert.Equal(10, store.List(cabalB).Count());
            Assert.Equal(21, store.List(cabalA).Count());
            Assert.Empty(store.CorruptFeeds);
            Assert.All(store.Feeds.Where(f => f.Writable), f => Assert.Equal(1UL, f.Length));
        }
    }

    [Fact]
    public async Task RemoveDeletesEveryRecord()
    {
        string keep;
        await using (var store = OpenStore())
        {
            var a = await store.CreateWritableAsync();
            var b = await store.CreateWritableAsync();
            await a.AppendBatchAsync(Enumerable.Range(0, 50).Select(i => (ReadOnlyMemory<byte>)BitConverter.GetBytes(i)).ToList());
            await b.AppendAsync("keep"u8.ToArray());
            keep = b.KeyHex;
            await store.RemoveAsync(a);
            await store.WaitForPurgesAsync();
            Assert.Null(store.TryGet(a.Key));
            Assert.Throws<ObjectDisposedException>(() => a.Get(0));
        }
        await using (var store = OpenStore())
        {
            var only = Assert.Single(store.Feeds);
            Assert.Equal(keep, only.KeyHex);
            Assert.Equal(1, store.CountEntriesForTests(store.Blocks));
            Assert.Equal(1, store.CountEntriesForTests(store.Signatures));
        }
    }

    [Fact]
    public async Task CorruptHeaderSkipsThatFeedOnly()
    {
        await using (var store = OpenStore())
        {
            for (var i = 0; i < 3; i++) await (await store.CreateWritableAsync()).AppendAsync("x"u8.ToArray());
            var victim = store.Feeds.OrderBy(f => f.Number).ElementAt(1);
            await store.Enqueue(tx => tx.Put(store.Headers, StorageKeys.Feed(victim.Number), new byte[] { 1, 0, 7 }).ThrowOnError(), null);
        }
        await using (var store = OpenStore())
        {
            Assert.Equal(2, store.Feeds.Count);
            Assert.Single(store.CorruptFeeds);
            Assert.All(store.Feeds, f => Assert.Equal("x", Encoding.ASCII.GetString(f.Get(0))));
            // New feeds never reuse the corrupt feed's number, so its records stay recoverable.
            var created = await store.CreateWritableAsync();
            Assert.DoesNotContain(created.Number, store.CorruptFeeds);
        }
    }

    [Fact]
    public async Task BadInputGetsSpecificErrors()
    {
        await using var store = OpenStore();
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetOrAddRemoteAsync(new byte[31]));
        var remote = await store.GetOrAddRemoteAsync(new byte[32]);
        await Assert.ThrowsAsync<FeedNotWritableException>(() => remote.AppendAsync("x"u8.ToArray()));
        var feed = await store.CreateWritableAsync();
        await feed.AppendAsync("x"u8.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => feed.Get(1));
        Assert.Throws<ArgumentException>(() => FeedHeaderParse([]));
        Assert.Null(store.TryGet(new byte[5]));
    }

    private static object FeedHeaderParse(byte[] bytes)
    {
        try { return FeedHeader.Parse(bytes); }
        catch (StorageCorruptException e) { throw new ArgumentException(e.Message, e); }
    }
}
