using System.Text;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Multifeed.Tests.Replication;
using Cabal.Multifeed.Tests.Sets;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Storage;

// Failed commits (a full disk, an I/O error), injected through FeedStoreOptions.CommitFault: the
// feed in memory goes back to what is on disk, nothing that is not durable is reported or
// published, and replication fetches the lost blocks again once writes succeed.
public sealed class CommitFailureTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly AsyncDisposables _cleanup = new();
    private volatile bool _full;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _cleanup.DisposeAsync();
        _dir.Dispose();
    }

    private FeedStoreOptions Faulty => new()
    {
        Durable = false,
        CommitFault = () => _full ? new IOException("injected: No space left on device") : null,
    };

    [Fact]
    public async Task AFailedAppendIsForgottenAndTheNextOneTakesItsPlace()
    {
        var path = _dir.Sub("w");
        var store = FeedStore.Open(path, Faulty);
        var feed = await store.CreateWritableAsync();
        await feed.AppendAsync("zero"u8.ToArray());

        _full = true;
        var failed = feed.AppendBatchAsync(["one"u8.ToArray(), "two"u8.ToArray()]);
        var queuedBehind = feed.AppendAsync("three"u8.ToArray()); // built on the failed batch
        await Assert.ThrowsAnyAsync<Exception>(() => failed);
        await Assert.ThrowsAnyAsync<Exception>(() => queuedBehind);
        Assert.Equal(1UL, feed.Length);
        Assert.False(feed.Has(1));
        Assert.True(store.FailedWriteCount >= 1);
        Assert.NotNull(store.LastWriteError);

        _full = false;
        Assert.Equal(1UL, await feed.AppendAsync("one again"u8.ToArray()));
        Assert.True(feed.Audit().Ok);
        await store.DisposeAsync();

        await using var reopened = FeedStore.Open(path);
        var again = reopened.TryGet(feed.Key)!;
        Assert.Equal(2UL, again.Length);
        Assert.Equal("one again", Encoding.UTF8.GetString(again.Get(1)));
        Assert.True(again.Audit().Ok);
    }

    [Fact]
    public async Task DiskFullDuringReplicationNeverCountsLostBlocksAndEveryBlockArrivesOnceSpaceReturns()
    {
        var writerStore = _cleanup.Track(FeedStore.Open(_dir.Sub("a"), new FeedStoreOptions { Durable = false }));
        var ra = _cleanup.Track(new Replicator(writerStore));
        var writer = await writerStore.CreateWritableAsync();
        for (var i = 0; i < 10; i++) await writer.AppendAsync(Encoding.UTF8.GetBytes($"block {i}"));

        var readerPath = _dir.Sub("b");
        var readerStore = FeedStore.Open(readerPath, Faulty);
        var rb = new Replicator(readerStore);
        var reader = await readerStore.GetOrAddRemoteAsync(writer.Key);
        var (_, _, pa, pb) = InMemoryChannel.Connect(ra, writer, rb, reader);
        await SetPeer.Eventually(() => reader.Contiguous == 10, "the first 10 blocks");

        // The disk fills up; 20 more blocks are published and offered.
        _full = true;
        var failures = readerStore.FailedWriteCount;
        for (var i = 10; i < 30; i++) await writer.AppendAsync(Encoding.UTF8.GetBytes($"block {i}"));
        await SetPeer.Eventually(() => readerStore.FailedWriteCount >= failures + 20, "the downloads to fail to commit");
        // Nothing of them is on disk, so nothing of them is reported.
        Assert.Equal(10UL, reader.DownloadedCount());
        Assert.Equal(10UL, reader.Contiguous);
        Assert.Equal(10UL, reader.Length);
        Assert.False(pb.SyncState().Done);

        // Restart the reader while the disk is still full: the store on disk says exactly what the status said.
        pa.OnClosed(); pb.OnClosed();
        await rb.DisposeAsync();
        await readerStore.DisposeAsync();
        readerStore = _cleanup.Track(FeedStore.Open(readerPath, Faulty));
        rb = _cleanup.Track(new Replicator(readerStore));
        reader = readerStore.TryGet(writer.Key)!;
        Assert.Equal(10UL, reader.DownloadedCount());
        Assert.True(reader.Audit().Ok);

        // Still full after reconnecting: requests fail again and again, then space returns and all arrive.
        (_, _, _, pb) = InMemoryChannel.Connect(ra, writer, rb, reader);
        await SetPeer.Eventually(() => readerStore.FailedWriteCount >= 1, "a failed commit after the restart");
        _full = false;
        await SetPeer.Eventually(() => reader.Contiguous == 30, "every block once space returns", TimeSpan.FromSeconds(60));
        await SetPeer.Eventually(() => pb.SyncState().Done, "the peer to count as done");
        Assert.Equal(30UL, reader.DownloadedCount());
        Assert.True(reader.Audit().Ok);
        Assert.Equal("block 29", Encoding.UTF8.GetString(reader.Get(29)));
    }

    [Fact]
    public async Task AFailedCommitFailsEveryWriteInItAndOtherFeedsCarryOn()
    {
        var store = _cleanup.Track(FeedStore.Open(_dir.Sub("m"), Faulty));
        var x = await store.CreateWritableAsync();
        var y = await store.CreateWritableAsync();
        _full = true;
        var writes = new[] { x.AppendAsync("x0"u8.ToArray()), y.AppendAsync("y0"u8.ToArray()) };
        foreach (var w in writes) await Assert.ThrowsAnyAsync<Exception>(() => w);
        _full = false;
        Assert.Equal(0UL, await y.AppendAsync("y0 again"u8.ToArray()));
        Assert.Equal(0UL, await x.AppendAsync("x0 again"u8.ToArray()));
        Assert.True(x.Audit().Ok && y.Audit().Ok);
    }

    [Fact]
    public async Task AWriteThatFailsAloneRollsBackOnlyItsFeed()
    {
        var store = _cleanup.Track(FeedStore.Open(_dir.Sub("one"), new FeedStoreOptions { Durable = false }));
        var x = await store.CreateWritableAsync();
        var y = await store.CreateWritableAsync();
        await x.AppendAsync("x0"u8.ToArray());
        // A write of x that fails inside the transaction (as a full map does), queued with good writes
        // of both feeds: x's later write is dropped with it, y's commit.
        var gate = new TaskCompletionSource();
        var hold = store.Enqueue(tx => gate.Task.Wait(), null); // keeps the next writes together in one batch
        var bad = store.Enqueue(x, x.Epoch, _ => throw new IOException("injected: No space left on device"), null);
        var xAfter = x.AppendAsync("x1"u8.ToArray());
        var yAfter = y.AppendAsync("y0"u8.ToArray());
        gate.SetResult();
        await hold;
        await Assert.ThrowsAnyAsync<Exception>(() => bad);
        await Assert.ThrowsAsync<StaleWriteException>(() => xAfter);
        Assert.Equal(0UL, await yAfter);
        Assert.Equal(1UL, x.Length);
        Assert.Equal(1UL, await x.AppendAsync("x1 again"u8.ToArray()));
        Assert.True(x.Audit().Ok && y.Audit().Ok);
    }
}
