using System.IO.Pipelines;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Tests;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

// The feed store and the views checked against each other at open: the identity lives with its feed,
// a writer that lost published entries refuses to publish (it would fork its log) until a peer has
// given them back, and views ahead of the feeds are rebuilt from them.
public sealed class StoreConsistencyTests
{
    private static async Task Eventually(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(WaitLimit);
        while (!condition())
        {
            try { await Task.Delay(10, cts.Token); }
            catch (OperationCanceledException) { Assert.Fail("timed out waiting for " + what); }
        }
    }

    private static IReadOnlyList<string> Texts(CabalCore core) => core.GetMessages("default", MessageQuery.Latest(100)).Select(m => m.Text).Reverse().ToList();

    [Fact]
    public async Task DeletedViewsKeepTheIdentityAndAreRebuiltFromTheFeeds()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var key = core.LocalKey;
        var friend = Convert.ToHexStringLower(Cabal.Net.Crypto.Ed25519.NewKeyPair().PublicKey);
        await core.PublishTextAsync("default", "hello");
        await core.PublishPrivateAsync(friend, "a secret");
        await Sync(core);

        await fx.RestartStoreAsync(() => Directory.Delete(fx.ViewsPath, recursive: true));
        var again = await fx.OpenAsync();
        Assert.Equal(key, again.LocalKey);
        Assert.True(again.CanReadPrivateMessages);
        Assert.True(again.CanPublish);
        Assert.Equal(["hello"], Texts(again));
        Assert.Equal("a secret", Assert.Single(again.GetPrivateMessages(friend)).Text);
        Assert.Equal(2UL, await again.PublishTextAsync("default", "still me"));
    }

    [Theory]
    [InlineData("zero-length data.mdb")]
    [InlineData("deleted data.mdb")]
    public async Task ALostFeedStoreNeverPublishesASecondSeqAndAPeerBringsTheLogBack(string damage)
    {
        await using var fx = new ChatFixture();
        await using var peer = await MemoryPeer.OpenAsync(fx.Dir.Sub("peer"), fx.Url);
        var core = await fx.OpenAsync();
        var key = core.LocalKey;
        foreach (var t in new[] { "zero", "one", "two" }) await core.PublishTextAsync("default", t);
        await using (var mine = await MemoryPeer.AttachAsync(fx.Store, fx.Url))
        {
            MemoryPeer.Connect(mine, peer);
            await Eventually(() => peer.Set.TryGet(key)?.Contiguous == 3, "the peer to hold our three entries");
        }
        await Sync(core);

        await fx.RestartStoreAsync(() =>
        {
            var data = Path.Combine(fx.StorePath, "data.mdb");
            if (damage.StartsWith("zero")) File.WriteAllBytes(data, []);
            else { File.Delete(data); File.Delete(Path.Combine(fx.StorePath, "lock.mdb")); }
        });
        Assert.True(fx.Store.IsNew);
        var again = await fx.OpenAsync();
        Assert.Equal(key, again.LocalKey); // the identity survived beside the views
        Assert.False(again.CanPublish);
        var refused = await Assert.ThrowsAsync<FeedRecoveryRequiredException>(() => again.PublishTextAsync("default", "would be a second seq 0"));
        Assert.Equal(3UL, refused.SignedLength);
        Assert.Equal(0UL, again.LocalFeed.Length);
        Assert.Empty(Texts(again)); // the views were rebuilt from what the store holds: nothing yet

        // Re-sync from the peer, which holds the signed log.
        await using (var mine = await MemoryPeer.AttachAsync(fx.Store, fx.Url))
        {
            MemoryPeer.Connect(mine, peer);
            await Eventually(() => again.CanPublish, "our log to be back");
            Assert.Equal(3UL, await again.PublishTextAsync("default", "three"));
            await Eventually(() => peer.Set.TryGet(key)?.Contiguous == 4, "the peer to take seq 3");
        }
        Assert.True(peer.Set.TryGet(key)!.Audit().Ok);
        await Sync(again);
        Assert.Equal(["zero", "one", "two", "three"], Texts(again));
    }

    [Fact]
    public async Task ViewsAheadOfARestoredBackupAreRebuiltAndTheWriterRefusesToFork()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var other = await fx.AddUserAsync();
        for (var i = 0; i < 3; i++)
        {
            await core.PublishTextAsync("default", $"mine {i}");
            await Say(other, "default", $"theirs {i}", 1000 + i);
        }
        var backup = fx.Dir.Sub("backup.mdb");
        await fx.RestartStoreAsync(() => File.Copy(Path.Combine(fx.StorePath, "data.mdb"), backup));
        core = await fx.OpenAsync();
        other = fx.Store.TryGet(other.Key)!;
        for (var i = 3; i < 5; i++)
        {
            await core.PublishTextAsync("default", $"mine {i}");
            await Say(other, "default", $"theirs {i}", 1000 + i);
        }
        await Sync(core);
        Assert.Equal(10, Texts(core).Count);

        // The user restores the older copy of the feed store; the views stay as they were.
        await fx.RestartStoreAsync(() => File.Copy(backup, Path.Combine(fx.StorePath, "data.mdb"), overwrite: true));
        var again = await fx.OpenAsync();
        Assert.Equal(6, Texts(again).Count); // only what the store holds
        Assert.False(again.CanPublish);
        Assert.Equal(5UL, again.LocalFeed.SignedLength);
        await Assert.ThrowsAsync<FeedRecoveryRequiredException>(() => again.PublishTextAsync("default", "would be a second seq 3"));
        Assert.Equal(3UL, again.LocalFeed.Length);
    }

    [Fact]
    public async Task ADiskFullDuringSyncIndexesOnlyWhatIsStoredAndEverythingArrivesOnceSpaceReturns()
    {
        using var dir = new TempDir();
        var url = CabalUrl.Generate();
        var full = false;
        await using var store = FeedStore.Open(dir.Sub("mine"), new FeedStoreOptions
        {
            Durable = false,
            CommitFault = () => Volatile.Read(ref full) ? new IOException("injected: No space left on device") : null,
        });
        var core = await CabalCore.OpenAsync(store, url, Options);
        await using var coreGuard = core;
        await using var peer = await MemoryPeer.OpenAsync(dir.Sub("peer"), url);
        var theirs = peer.Set.LocalFeed;
        for (var i = 0; i < 10; i++) await Say(theirs, "default", $"m{i}", 1000 + i);
        await using var mine = await MemoryPeer.AttachAsync(store, url);
        MemoryPeer.Connect(mine, peer);
        await Eventually(() => store.TryGet(theirs.Key)?.Contiguous == 10, "the first 10 entries");
        await Sync(core);
        Assert.Equal(10, Texts(core).Count);

        // The disk fills up. The peer publishes 10 more entries, and a new user joins with one.
        Volatile.Write(ref full, true);
        var failures = store.FailedWriteCount;
        for (var i = 10; i < 20; i++) await Say(theirs, "default", $"m{i}", 1000 + i);
        var newcomer = await peer.Set.Store.CreateWritableAsync(name: "newcomer", group: url.Key);
        await Say(newcomer, "default", "hi from the newcomer", 5000);
        await Eventually(() => store.FailedWriteCount >= failures + 10, "the writes to fail");
        var copy = store.TryGet(theirs.Key)!;
        Assert.Equal(10UL, copy.DownloadedCount());
        Assert.Equal(10UL, copy.Contiguous);
        await Sync(core);
        Assert.Equal(10, Texts(core).Count); // nothing that is not on disk is indexed
        Assert.False(mine.Set.SyncReport().InSync);

        Volatile.Write(ref full, false);
        await Eventually(() => store.TryGet(theirs.Key)?.Contiguous == 20 && store.TryGet(newcomer.Key)?.Contiguous == 1, "every entry once space returns");
        var report = await mine.Set.WaitForSyncAsync(WaitLimit);
        Assert.True(report.InSync, report.ToString());
        await Sync(core);
        Assert.Equal(21, Texts(core).Count);
    }

    /// <summary>A cabal's multifeed set on a store, replicating over in-memory pipes.</summary>
    private sealed class MemoryPeer : IAsyncDisposable
    {
        private readonly FeedStore? _ownStore;
        private readonly List<ProtocolConnection> _connections = [];

        private MemoryPeer(FeedStore? ownStore, Replicator replicator, MultifeedSet set) { _ownStore = ownStore; Replicator = replicator; Set = set; }

        public Replicator Replicator { get; }
        public MultifeedSet Set { get; }

        public static async Task<MemoryPeer> OpenAsync(string dir, CabalUrl url)
        {
            var store = FeedStore.Open(dir, new FeedStoreOptions { Durable = false });
            var replicator = new Replicator(store);
            return new MemoryPeer(store, replicator, await MultifeedSet.OpenAsync(store, replicator, url.Key));
        }

        /// <summary>Replication for a store that a CabalCore already uses (it found or made the local writer).</summary>
        public static async Task<MemoryPeer> AttachAsync(FeedStore store, CabalUrl url)
        {
            var replicator = new Replicator(store);
            return new MemoryPeer(null, replicator, await MultifeedSet.OpenAsync(store, replicator, url.Key));
        }

        public static void Connect(MemoryPeer a, MemoryPeer b)
        {
            var ab = new Pipe();
            var ba = new Pipe();
            var ca = new ProtocolConnection(new Duplex(ba.Reader, ab.Writer), isInitiator: true);
            var cb = new ProtocolConnection(new Duplex(ab.Reader, ba.Writer), isInitiator: false);
            a._connections.Add(ca);
            b._connections.Add(cb);
            a.Set.Replicate(ca);
            b.Set.Replicate(cb);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in _connections) await c.DisposeAsync();
            await Set.DisposeAsync();
            await Replicator.DisposeAsync();
            if (_ownStore is not null) await _ownStore.DisposeAsync();
        }

        private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
        {
            public PipeReader Input { get; } = input;
            public PipeWriter Output { get; } = output;
        }
    }
}
