// Removing feeds (corestore's "cores must be removable"). A feed can hold millions of records, so
// removal is two-phase, each phase crash-safe on its own:
//   1. one commit deletes the feed's header and key record (the feed is gone from every list from
//      then on) and writes a purge marker `purge/<number>` in meta; with `remember`, also
//      `forgotten/<key>` so the feed is refused when a peer offers it again (IsForgotten);
//   2. its blocks, tree nodes, signatures and bitfield pages are deleted PurgeRecordsPerCommit at a
//      time, one group commit each (never one giant transaction, never an await inside one), and the
//      last batch deletes the marker.
// A SIGKILL anywhere leaves either the feed whole (before 1) or a marker whose purge resumes at the
// next open; feed numbers are never reused, so a half-purged range can never be mistaken for
// another feed's records. Readers of other feeds are unaffected (LMDB readers see their snapshot);
// readers of the removed feed get ObjectDisposedException, and writes of it queued behind the
// removal are refused at commit (FeedStore.Writer.cs).
using System.Buffers.Binary;
using System.Collections.Concurrent;
using LightningDB;

namespace Cabal.Multifeed.Storage;

public sealed partial class FeedStore
{
    /// <summary>Records deleted per commit while purging a removed feed (a few milliseconds of work).</summary>
    public const int PurgeRecordsPerCommit = 8192;

    private static ReadOnlySpan<byte> PurgePrefix => "purge/"u8;
    private static ReadOnlySpan<byte> ForgottenPrefix => "forgotten/"u8;

    private readonly ConcurrentDictionary<FeedKey, byte> _forgotten = new();
    private readonly ConcurrentDictionary<uint, Task> _purges = new();
    private readonly CancellationTokenSource _purgeStop = new();

    /// <summary>
    /// Raised once a removal is durable (the feed is gone from every list), on the writer thread: keep
    /// it short. The purge of its records may still be running.
    /// </summary>
    public event Action<Feed>? FeedRemoved;

    /// <summary>Removed feeds whose records are still being deleted (0 once every purge is done).</summary>
    public int PurgesPending => _purges.Count;

    /// <summary>Whether a feed with this key was removed with <c>remember</c>: it is not to be stored again when offered.</summary>
    public bool IsForgotten(ReadOnlySpan<byte> publicKey) => publicKey.Length == 32 && _forgotten.ContainsKey(new FeedKey(publicKey));

    /// <summary><see cref="IsForgotten(ReadOnlySpan{byte})"/> for a lowercase hex key (cheap while nothing is forgotten).</summary>
    public bool IsForgotten(string keyHex)
    {
        if (_forgotten.IsEmpty || keyHex is not { Length: 64 }) return false;
        Span<byte> key = stackalloc byte[32];
        return Convert.FromHexString(keyHex, key, out _, out var written) == System.Buffers.OperationStatus.Done && written == 32 && IsForgotten(key);
    }

    /// <summary>
    /// Removes a feed and every record of it. Its <see cref="Feed"/> object is unusable afterwards.
    /// Completes once the removal is durable; the records are purged in the background
    /// (<see cref="WaitForPurgesAsync"/>). With <paramref name="remember"/>, the key is kept as
    /// forgotten (<see cref="IsForgotten"/>).
    /// </summary>
    public Task RemoveAsync(Feed feed, bool remember = false, CancellationToken cancellationToken = default)
        => RemoveAsync([feed], remember, cancellationToken);

    /// <summary>Removes several feeds in one commit (see <see cref="RemoveAsync(Feed, bool, CancellationToken)"/>).</summary>
    public async Task RemoveAsync(IReadOnlyList<Feed> feeds, bool remember = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feeds);
        var removed = new List<Feed>(feeds.Count);
        foreach (var feed in feeds)
        {
            ArgumentNullException.ThrowIfNull(feed);
            // Gone from every lookup at once, so nothing offers, serves or writes it from now on.
            if (!_byNumber.TryRemove(new KeyValuePair<uint, Feed>(feed.Number, feed))) continue;
            Unregister(feed);
            removed.Add(feed);
        }
        if (removed.Count == 0) return;
        await Enqueue(tx =>
        {
            foreach (var feed in removed)
            {
                tx.Delete(Headers, StorageKeys.Feed(feed.Number));
                tx.Delete(Keys, feed.Key);
                tx.Put(Meta, PurgeKey(feed.Number), Array.Empty<byte>()).ThrowOnError();
                if (remember) tx.Put(Meta, ForgottenKey(feed.Key), feed.Group.ToArray()).ThrowOnError();
            }
        }, () =>
        {
            foreach (var feed in removed)
            {
                if (remember) _forgotten[new FeedKey(feed.Key)] = 0;
                StorageLog.FeedRemoved(_logger, feed.KeyHex, feed.Length);
                try { FeedRemoved?.Invoke(feed); }
                catch (Exception e) { StorageLog.HandlerFailed(_logger, e); }
                StartPurge(feed.Number);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes when every purge started so far has deleted its records.</summary>
    public async Task WaitForPurgesAsync(CancellationToken cancellationToken = default)
    {
        while (!_purges.IsEmpty)
            await Task.WhenAll(_purges.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static byte[] PurgeKey(uint number) => [.. PurgePrefix, .. StorageKeys.Feed(number)];

    private static byte[] ForgottenKey(ReadOnlySpan<byte> key) => [.. ForgottenPrefix, .. key];

    /// <summary>Reads the forgotten keys and the purges a crash interrupted (at open, before the writer starts).</summary>
    private List<uint> LoadRemovals()
    {
        var purges = new List<uint>();
        using var tx = _env.BeginTransaction(TransactionBeginFlags.ReadOnly);
        using var cursor = tx.CreateCursor(Meta);
        for (var r = cursor.SetRange(PurgePrefix.ToArray()); r == MDBResultCode.Success; r = cursor.Next().resultCode)
        {
            var key = cursor.GetCurrent().key.AsSpan();
            if (!key.StartsWith(PurgePrefix)) break;
            if (key.Length == PurgePrefix.Length + 4) purges.Add(BinaryPrimitives.ReadUInt32BigEndian(key[PurgePrefix.Length..]));
        }
        for (var r = cursor.SetRange(ForgottenPrefix.ToArray()); r == MDBResultCode.Success; r = cursor.Next().resultCode)
        {
            var key = cursor.GetCurrent().key.AsSpan();
            if (!key.StartsWith(ForgottenPrefix)) break;
            if (key.Length == ForgottenPrefix.Length + 32) _forgotten[new FeedKey(key[ForgottenPrefix.Length..])] = 0;
        }
        return purges;
    }

    private void ResumePurges(List<uint> purges)
    {
        foreach (var number in purges)
        {
            StorageLog.PurgeResumed(_logger, number);
            StartPurge(number);
        }
    }

    private void StartPurge(uint number)
    {
        if (_purges.ContainsKey(number)) return;
        var task = Task.Run(() => PurgeAsync(number, _purgeStop.Token));
        _purges[number] = task;
        _ = task.ContinueWith(_ => _purges.TryRemove(number, out var _), TaskScheduler.Default);
    }

    private async Task PurgeAsync(uint number, CancellationToken ct)
    {
        var done = false;
        try
        {
            while (!done && !ct.IsCancellationRequested)
            {
                await Enqueue(tx =>
                {
                    var left = PurgeRecordsPerCommit;
                    foreach (var db in new[] { Blocks, Nodes, Signatures, Bits }) left -= DeleteRange(tx, db, number, left);
                    if (left > 0)
                    {
                        tx.Delete(Meta, PurgeKey(number));
                        done = true;
                    }
                }, null, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
        {
            // The store is closing: the marker stays and the next open finishes the purge.
        }
        catch (Exception e)
        {
            StorageLog.PurgeFailed(_logger, number, e); // the marker stays: retried at the next open
        }
    }

    /// <summary>Deletes up to <paramref name="limit"/> records of feed <paramref name="feed"/> from <paramref name="db"/>; returns how many.</summary>
    private static int DeleteRange(LightningTransaction tx, LightningDatabase db, uint feed, int limit)
    {
        if (limit <= 0) return 0;
        using var cursor = tx.CreateCursor(db);
        var prefix = StorageKeys.Feed(feed);
        var deleted = 0;
        for (var r = cursor.SetRange(prefix); r == MDBResultCode.Success && deleted < limit; r = cursor.GetCurrent().resultCode)
        {
            var (rc, key, _) = cursor.GetCurrent();
            if (rc != MDBResultCode.Success || !key.AsSpan().StartsWith(prefix)) break;
            cursor.Delete().ThrowOnError();
            deleted++;
        }
        return deleted;
    }

    private void StopPurges() => _purgeStop.Cancel();
}
