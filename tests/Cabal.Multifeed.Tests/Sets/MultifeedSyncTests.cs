using System.Diagnostics;
using System.Text;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Sets;

// "In sync" from protocol facts: every connected peer's manifest, an answer to every request, a known
// remote length for every agreed feed, and every block stored. Never from a quiet period.
public sealed class MultifeedSyncTests : SetTestBase
{
    [Fact]
    public async Task APeerThatSendsItsManifestTwoSecondsLateIsWaitedFor()
    {
        var reader = await Peer("reader");
        // The slow peer: a store holding one writer of 25 blocks, offered only after 2 s.
        var slowStore = _cleanup.Track(FeedStore.Open(_dir.Sub("slow"), new FeedStoreOptions { Durable = false }));
        var slowReplicator = _cleanup.Track(new Replicator(slowStore));
        var feed = await slowStore.CreateWritableAsync(group: _cabal);
        for (var i = 0; i < 25; i++) await feed.AppendAsync(Encoding.UTF8.GetBytes($"m{i}"));

        var (mine, theirs) = SetPeer.ConnectionPair();
        ReplicationSession? replication = null;
        var fake = _cleanup.Track(new FakeMultifeedPeer(theirs, _cabal, onRequest: (p, body) =>
        {
            if (!body.Contains(feed.KeyHex)) return;
            p.Replicate.Send(Encoding.UTF8.GetBytes($"[\"{feed.KeyHex}\"]"));
            replication!.Replicate(feed);
        }));
        replication = new ReplicationSession(slowReplicator, theirs, acceptRemoteFeeds: false);
        _ = fake.Handshaken.ContinueWith(async _ =>
        {
            await Task.Delay(2000);
            fake.Manifest.Send(Encoding.UTF8.GetBytes($"{{\"keys\":[\"{feed.KeyHex}\"]}}"));
        }, TaskScheduler.Default);
        var sw = Stopwatch.StartNew();
        reader.Set.Replicate(mine);
        fake.Start();

        var report = await reader.Set.WaitForSyncAsync(TimeSpan.FromSeconds(60));
        Assert.True(report.InSync, report.ToString());
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(1.9), $"in sync after {sw.Elapsed} although the manifest came after 2 s");
        var copy = reader.Set.TryGet(feed.KeyHex);
        Assert.NotNull(copy);
        Assert.Equal(25UL, copy.Contiguous);
        Assert.Equal(25UL, copy.DownloadedCount());
        Assert.Equal("m24", Encoding.UTF8.GetString(copy.Get(24)));
        var peer = Assert.Single(report.Peers);
        Assert.Equal(PeerSyncStage.InSync, peer.Stage);
        Assert.True(report.BlocksHeld >= 25 && report.BlocksHeld == report.BlocksKnown, report.ToString());
        await replication.DisposeAsync();
    }

    [Fact]
    public async Task WhileTheManifestIsLateTheReportSaysSo()
    {
        var reader = await Peer("reader");
        var (mine, theirs) = SetPeer.ConnectionPair();
        var fake = _cleanup.Track(new FakeMultifeedPeer(theirs, _cabal)); // handshakes, never offers anything
        reader.Set.Replicate(mine);
        fake.Start();
        var report = await reader.Set.WaitForSyncAsync(TimeSpan.FromSeconds(1.5));
        Assert.False(report.InSync);
        Assert.Equal(PeerSyncStage.AwaitingManifest, Assert.Single(report.Peers).Stage);
        Assert.Contains("manifest", report.ToString());
    }

    [Fact]
    public async Task AConnectionThatEndsBeforeAnOfferedFeedArrivedIsNotInSync()
    {
        // Seen in the program: a duplicate connection was closed after the remote's manifest, and its
        // session, still listed while it wound down, reported "in sync" because its one new feed was a
        // probe whose channel had closed. `cabal read` then printed nothing and exited 0.
        var reader = await Peer("reader");
        var offered = Convert.ToHexStringLower(Ed25519.NewKeyPair().PublicKey);
        var (mine, theirs) = SetPeer.ConnectionPair();
        var fake = _cleanup.Track(new FakeMultifeedPeer(theirs, _cabal, onRequest: (p, body) =>
        {
            if (body.Contains(offered)) p.Replicate.Send(Encoding.UTF8.GetBytes($"[\"{offered}\"]"));
        }));
        _ = fake.Handshaken.ContinueWith(_ => fake.Manifest.Send(Encoding.UTF8.GetBytes($"{{\"keys\":[\"{offered}\"]}}")), TaskScheduler.Default);
        var session = reader.Set.Replicate(mine);
        fake.Start();
        // Agreed and probed: the remote never opens the feed's channel, so its length stays unknown.
        var deadline = Stopwatch.StartNew();
        while (session.SyncReport().Stage != PeerSyncStage.AwaitingLengths)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"never reached AwaitingLengths: {session.SyncReport()}");
            await Task.Delay(20);
        }

        await fake.DisposeAsync();
        await session.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(PeerSyncStage.Ended, session.SyncReport().Stage);
        var report = await reader.Set.WaitForSyncAsync(TimeSpan.FromMilliseconds(300));
        Assert.False(report.InSync, report.ToString());
        Assert.True(report.NoPeers, report.ToString());
        Assert.Null(reader.Set.TryGet(offered));
    }

    [Fact]
    public async Task WithNoPeerNothingIsInSync()
    {
        var reader = await Peer("alone");
        var report = await reader.Set.WaitForSyncAsync(TimeSpan.FromMilliseconds(300));
        Assert.False(report.InSync);
        Assert.True(report.NoPeers);
        Assert.StartsWith("no peer", report.ToString());
    }

    [Fact]
    public async Task TwoPeersAreInSyncOnlyWithEverythingStoredOnBothSides()
    {
        var a = await Peer("a");
        var b = await Peer("b");
        for (var i = 0; i < 40; i++) await a.SayAsync($"a{i}");
        await b.SayAsync("b0", "b1");
        SetPeer.Connect(a, b);
        var ra = await a.Set.WaitForSyncAsync(TimeSpan.FromSeconds(60));
        var rb = await b.Set.WaitForSyncAsync(TimeSpan.FromSeconds(60));
        Assert.True(ra.InSync && rb.InSync, $"{ra} / {rb}");
        Assert.Equal(2UL, a.Set.TryGet(b.Set.LocalFeed.KeyHex)!.DownloadedCount());
        Assert.Equal(40UL, b.Set.TryGet(a.Set.LocalFeed.KeyHex)!.DownloadedCount());
        Assert.Equal(42UL, rb.BlocksHeld);
    }

    [Fact]
    public async Task TheWaitEndsWhenTheLastBlockIsStoredNotAtItsNextPoll()
    {
        // An hour between polls: only the sessions' and channels' events can end this wait in time.
        var hourly = new MultifeedOptions { SyncPollInterval = TimeSpan.FromHours(1) };
        var a = await Peer("a");
        var b = await Peer("b", hourly);
        for (var i = 0; i < 40; i++) await a.SayAsync($"a{i}");
        var sw = Stopwatch.StartNew();
        var waiting = b.Set.WaitForSyncAsync(TimeSpan.FromSeconds(60));
        SetPeer.Connect(a, b);
        var report = await waiting;
        Assert.True(report.InSync, report.ToString());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"in sync only after {sw.Elapsed}");
        Assert.Equal(40UL, b.Set.TryGet(a.Set.LocalFeed.KeyHex)!.DownloadedCount());
    }

    [Fact]
    public async Task WithALongPollTheTimeoutAndCancellationStillHold()
    {
        var hourly = new MultifeedOptions { SyncPollInterval = TimeSpan.FromHours(1) };
        var reader = await Peer("reader", hourly);
        var (mine, theirs) = SetPeer.ConnectionPair();
        var fake = _cleanup.Track(new FakeMultifeedPeer(theirs, _cabal)); // handshakes, never offers anything
        reader.Set.Replicate(mine);
        fake.Start();
        var sw = Stopwatch.StartNew();
        var report = await reader.Set.WaitForSyncAsync(TimeSpan.FromMilliseconds(500)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(report.InSync);
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(450), $"gave up after {sw.Elapsed}");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.Set.WaitForSyncAsync(TimeSpan.FromHours(1), cancel.Token).WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
