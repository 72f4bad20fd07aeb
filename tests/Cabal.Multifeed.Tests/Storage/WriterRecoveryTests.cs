using System.Text;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Multifeed.Tests.Replication;
using Cabal.Multifeed.Tests.Sets;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Storage;

// A writer that lost blocks it had signed must never append over them (that forks its log for
// good); a re-sync from a peer that holds them brings them back, after which appends continue.
public sealed class WriterRecoveryTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly AsyncDisposables _cleanup = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _cleanup.DisposeAsync();
        _dir.Dispose();
    }

    private (FeedStore Store, Replicator Replicator) Open(string name)
    {
        var store = _cleanup.Track(FeedStore.Open(_dir.Sub(name), new FeedStoreOptions { Durable = false }));
        var replicator = _cleanup.Track(new Replicator(store));
        return (store, replicator);
    }

    private static async Task AppendAsync(Feed feed, params string[] texts)
    {
        foreach (var t in texts) await feed.AppendAsync(Encoding.UTF8.GetBytes(t));
    }

    private static string Text(Feed feed, ulong i) => Encoding.UTF8.GetString(feed.Get(i));

    [Fact]
    public async Task ARestoredWriterRefusesToAppendUntilAPeerHasGivenBackWhatItSigned()
    {
        var keys = Ed25519.NewKeyPair();
        var (a, ra) = Open("a");
        var writer = await a.CreateWritableAsync(keys, "local");
        await AppendAsync(writer, "zero", "one", "two");
        var (peer, rp) = Open("peer");
        var copy = await peer.GetOrAddRemoteAsync(writer.Key);
        InMemoryChannel.Connect(ra, writer, rp, copy);
        await SetPeer.Eventually(() => copy.Contiguous == 3, "the peer to hold the log");

        // The store is lost; only the key survived (and the fact that 3 entries were published).
        var (lost, rl) = Open("lost");
        var restored = await lost.RestoreWritableAsync(keys, signedLength: 3, "local");
        Assert.True(restored.Writable);
        Assert.False(restored.CanAppend);
        Assert.Equal(3UL, restored.SignedLength);
        var refused = await Assert.ThrowsAsync<FeedRecoveryRequiredException>(() => restored.AppendAsync("a second seq 0"u8.ToArray()));
        Assert.Equal(3UL, refused.SignedLength);
        Assert.Contains("re-sync", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0UL, restored.Length);

        // The peer still holds the signed log: a re-sync is safe, and then appending resumes after it.
        InMemoryChannel.Connect(rp, copy, rl, restored);
        await SetPeer.Eventually(() => restored.CanAppend, "the writer to be back to its signed length");
        Assert.Equal(["zero", "one", "two"], Enumerable.Range(0, 3).Select(i => Text(restored, (ulong)i)));
        Assert.Equal(3UL, await restored.AppendAsync("three"u8.ToArray()));
        await SetPeer.Eventually(() => copy.Contiguous == 4, "the peer to take the new entry");
        Assert.Equal("three", Text(copy, 3));
        Assert.True(copy.Audit().Ok);
        Assert.True(restored.Audit().Ok);
    }

    [Fact]
    public async Task TheSignedLengthSurvivesARestartMidResync()
    {
        var keys = Ed25519.NewKeyPair();
        var dir = _dir.Sub("s");
        await using (var store = FeedStore.Open(dir))
            await store.RestoreWritableAsync(keys, signedLength: 7, "local");
        await using (var again = FeedStore.Open(dir))
        {
            var feed = again.TryGet(keys.PublicKey)!;
            Assert.True(feed.Writable);
            Assert.Equal(7UL, feed.SignedLength);
            Assert.False(feed.CanAppend);
            await Assert.ThrowsAsync<FeedRecoveryRequiredException>(() => feed.AppendAsync("x"u8.ToArray()));
        }
    }

    [Fact]
    public async Task RestoringIntoAReadOnlyCopyAdoptsTheKeyAndKeepsTheBlocks()
    {
        var keys = Ed25519.NewKeyPair();
        var (a, ra) = Open("a");
        var writer = await a.CreateWritableAsync(keys, "local");
        await AppendAsync(writer, "zero", "one");
        var (b, rb) = Open("b");
        var copy = await b.GetOrAddRemoteAsync(writer.Key);
        InMemoryChannel.Connect(ra, writer, rb, copy);
        await SetPeer.Eventually(() => copy.Contiguous == 2, "the copy");

        var adopted = await b.RestoreWritableAsync(keys, signedLength: 2, "local");
        Assert.Same(copy, adopted);
        Assert.True(adopted.Writable);
        Assert.Equal("local", adopted.Name);
        Assert.True(adopted.CanAppend);
        Assert.Equal(keys.SecretKey, adopted.CopySecretKey());
        Assert.Equal(2UL, await adopted.AppendAsync("two"u8.ToArray()));
        Assert.True(adopted.Audit().Ok);
    }

    [Fact]
    public async Task AWriterRestoredFromAnOldBackupLearnsFromAPeerThatItIsBehindAndCatchesUp()
    {
        // A backup of the store taken after 3 entries; 2 more were published and replicated after it.
        var keys = Ed25519.NewKeyPair();
        var dirA = _dir.Sub("a");
        var backup = _dir.Sub("backup");
        await using (var a0 = FeedStore.Open(dirA))
        {
            var w0 = await a0.CreateWritableAsync(keys, "local");
            await AppendAsync(w0, "zero", "one", "two");
        }
        Directory.CreateDirectory(backup);
        File.Copy(Path.Combine(dirA, "data.mdb"), Path.Combine(backup, "data.mdb"));

        var (peer, rp) = Open("peer");
        var copy = await peer.GetOrAddRemoteAsync(keys.PublicKey);
        await using (var a1 = FeedStore.Open(dirA))
        {
            await using var r1 = new Replicator(a1);
            var w1 = a1.TryGet(keys.PublicKey)!;
            await AppendAsync(w1, "three", "four");
            var (_, _, p1, p2) = InMemoryChannel.Connect(r1, w1, rp, copy);
            await SetPeer.Eventually(() => copy.Contiguous == 5, "the peer to hold all five");
            p1.OnClosed(); p2.OnClosed();
        }

        // The user restores the backup: the writer thinks it has 3. The peer knows better.
        var restored = FeedStore.Open(backup, new FeedStoreOptions { Durable = false });
        _cleanup.Track(restored);
        var rr = _cleanup.Track(new Replicator(restored));
        var stale = restored.TryGet(keys.PublicKey)!;
        Assert.Equal(3UL, stale.Length);
        InMemoryChannel.Connect(rp, copy, rr, stale);
        await SetPeer.Eventually(() => stale.Contiguous == 5 && stale.CanAppend, "the writer to download what it had signed");
        Assert.Equal("four", Text(stale, 4));
        Assert.Equal(5UL, await stale.AppendAsync("five"u8.ToArray())); // never a second seq 3
        await SetPeer.Eventually(() => copy.Contiguous == 6, "the peer to take it");
        Assert.True(copy.Audit().Ok);
    }

    [Fact]
    public async Task APeerAnnouncingMoreOfOurFeedHoldsBackAppendsWhileItIsConnected()
    {
        var keys = Ed25519.NewKeyPair();
        var (a, _) = Open("a");
        var writer = await a.CreateWritableAsync(keys, "local");
        var claimant = new object();
        writer.SetPeerClaim(claimant, 4);
        Assert.False(writer.CanAppend);
        var refused = await Assert.ThrowsAsync<FeedRecoveryRequiredException>(() => writer.AppendAsync("x"u8.ToArray()));
        Assert.Contains("peer holds 4", refused.Message);
        writer.ClearPeerClaim(claimant); // it left without serving anything: it cannot hold us back
        Assert.True(writer.CanAppend);
        Assert.Equal(0UL, await writer.AppendAsync("x"u8.ToArray()));
    }

    [Fact]
    public void AHeaderWhoseSignedLengthIsItsLengthIsStillWrittenInTheOldLayout()
    {
        var header = new FeedHeader { PublicKey = new byte[32], Name = "n" };
        var v1 = header.Serialize();
        Assert.Equal(1, v1[0]);
        var v2 = (header with { SignedLength = 9 }).Serialize();
        Assert.Equal(2, v2[0]);
        Assert.Equal(v1.Length + 8, v2.Length);
        Assert.Equal(9UL, FeedHeader.Parse(v2).SignedLength);
        Assert.Equal(0UL, FeedHeader.Parse(v1).SignedLength);
        FeedHeader.Validate(v2);
    }
}
