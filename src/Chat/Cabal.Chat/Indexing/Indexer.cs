// The indexing loop. Feed events (which fire on the feed store's writer thread) only mark a feed
// as dirty and wake this loop; all work happens here, on one task, in LMDB write transactions of
// up to MaxEntriesPerCommit entries that also store the new per-feed cursors.
//
// Cursor = the contiguous prefix of a feed that has been indexed. Only blocks below the feed's
// Contiguous length are indexed: a block after a hole waits until the hole is filled. That keeps
// one number per feed, and keeps each author's entries applied in seq order, which memberships,
// archives and moderation depend on (a leave must not be overtaken by an older join).
//
// Unlike kappa-core there is no rescan of all feeds per batch: a dirty set drives the work, so
// start-up costs one cursor read per feed and a warm start with nothing new indexes nothing.
//
// Damaged views (ViewsDamagedException from a view read while applying an entry, or from a query)
// are rebuilt by Rebuild: one write lock orders it with the loop's transactions, so the loop never
// writes into views that were just emptied with cursors from before.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Cabal.Chat.Events;
using Cabal.Chat.Messages;
using Cabal.Chat.Views;
using Cabal.Multifeed;
using Cabal.Multifeed.Storage;
using LightningDB;
using Microsoft.Extensions.Logging;

namespace Cabal.Chat.Indexing;

internal sealed class Indexer : IAsyncDisposable
{
    private sealed class FeedState(Feed feed)
    {
        public readonly Feed Feed = feed;
        public long Indexed;      // committed cursor; written by the loop only
        public int Queued;        // 1 while waiting in the signal queue
    }

    private readonly FeedStore _store;
    private readonly ReadOnlyMemory<byte> _group;
    private readonly string _localWriter;
    private readonly ViewStore _views;
    private readonly EntryApplier _applier;
    private readonly EventHub _events;
    private readonly ILogger _logger;
    private readonly int _maxPerCommit;
    private readonly ConcurrentDictionary<string, FeedState> _feeds = new(StringComparer.Ordinal);
    private readonly Channel<FeedState> _signals = Channel.CreateUnbounded<FeedState>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private readonly Lock _write = new(); // held by each indexing transaction and by Rebuild
    private readonly Action<ViewsDamagedException, int> _onDamaged;
    private long _indexed, _malformed, _malformedTotal, _commits;
    private int _disposed, _generation;

    public Indexer(FeedStore store, Feed localWriter, ViewStore views, EntryApplier applier, EventHub events, ILogger logger, int maxPerCommit, Action<ViewsDamagedException, int> onDamaged)
    {
        _onDamaged = onDamaged;
        _store = store;
        _group = localWriter.Group;
        // From construction, not Start: a feed deleted while the cabal opens still has its cursor dropped.
        _store.FeedRemoved += OnFeedRemoved;
        _localWriter = localWriter.KeyHex;
        _views = views;
        _applier = applier;
        _events = events;
        _logger = logger;
        _maxPerCommit = maxPerCommit;
    }

    public long EntriesIndexed => Interlocked.Read(ref _indexed);
    public long Malformed => Interlocked.Read(ref _malformed);
    public long MalformedTotal => Interlocked.Read(ref _malformedTotal);
    public long Commits => Interlocked.Read(ref _commits);
    public int FeedCount => _feeds.Count;

    public void Start()
    {
        using (var read = _views.BeginRead())
        {
            var tx = read.Transaction;
            var total = tx.Read(_views.Meta, "malformed"u8);
            _malformedTotal = total is { Length: 8 } ? (long)BinaryPrimitives.ReadUInt64BigEndian(total) : 0;
            _store.FeedAdded += OnFeedAdded;
            // One store-wide subscription each, not two per feed (see FeedStore.FeedAppended).
            _store.FeedAppended += OnFeedGrew;
            _store.FeedDownloaded += OnFeedGrew;
            // multifeed order: remote feeds first, the local writer last.
            foreach (var feed in _store.List(_group).OrderBy(f => f.KeyHex == _localWriter ? 1 : 0))
                Track(feed, tx);
        }
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    private void OnFeedAdded(Feed feed)
    {
        if (!feed.Group.Span.SequenceEqual(_group.Span)) return;
        using var read = _views.BeginRead();
        var tx = read.Transaction;
        Track(feed, tx);
    }

    // A feed removed from the store (deleted, or a blocked user's data dropped) leaves the indexer and
    // its cursor leaves the views, so the next open does not take the views for ahead of the store.
    // What was indexed of it stays (hidden when its author is blocked) until the views are rebuilt.
    private void OnFeedRemoved(Feed feed)
    {
        // The event is store-wide. Not tracked yet is possible (deleted while the cabal opens): the cursor goes all the same.
        if (!feed.Group.Span.SequenceEqual(_group.Span)) return;
        _feeds.TryRemove(feed.KeyHex, out _);
        _ = Task.Run(() =>
        {
            try
            {
                lock (_write)
                {
                    using var tx = _views.BeginWrite();
                    tx.Remove(_views.Cursors, feed.Key);
                    tx.Commit().ThrowOnError();
                }
                Pulse();
            }
            catch (Exception e) when (e is LightningException or IOException or ObjectDisposedException) { IndexingLog.CursorNotDropped(_logger, feed.KeyHex, e); }
        });
    }

    private void Track(Feed feed, LightningTransaction tx)
    {
        var state = new FeedState(feed);
        if (!_feeds.TryAdd(feed.KeyHex, state)) return;
        var cursor = tx.Read(_views.Cursors, feed.Key);
        state.Indexed = cursor is { Length: 8 } ? (long)BinaryPrimitives.ReadUInt64BigEndian(cursor) : 0;
        // Picks up anything appended before we subscribed; later appends signal through the events.
        // A feed already indexed to its end is not queued, so a warm open of a big cabal does no work.
        if ((long)feed.Contiguous > state.Indexed) Signal(state);
    }

    private void OnFeedGrew(object? sender, EventArgs e)
    {
        if (sender is Feed feed && _feeds.TryGetValue(feed.KeyHex, out var state)) Signal(state);
    }

    private void Signal(FeedState s)
    {
        if (Interlocked.Exchange(ref s.Queued, 1) == 0) _signals.Writer.TryWrite(s);
    }

    /// <summary>Entries indexed and entries held locally (the contiguous prefixes), over all feeds of the cabal.</summary>
    public (long Indexed, long Available) Progress()
    {
        long indexed = 0, available = 0;
        foreach (var s in _feeds.Values)
        {
            indexed += Volatile.Read(ref s.Indexed);
            available += (long)s.Feed.Contiguous;
        }
        return (indexed, available);
    }

    /// <summary>Completes once every block held contiguously at the time of each check is indexed.</summary>
    public Task WaitForIdleAsync(CancellationToken ct) => WaitUntilAsync(() => Progress() is var (indexed, available) && indexed >= available, ct);

    /// <summary>
    /// Completes once <paramref name="feed"/> is indexed up to <paramref name="length"/> entries: what
    /// one writer just published is applied, however many other feeds are still waiting.
    /// </summary>
    public Task WaitForFeedAsync(Feed feed, long length, CancellationToken ct)
        => _feeds.TryGetValue(feed.KeyHex, out var state) ? WaitUntilAsync(() => Volatile.Read(ref state.Indexed) >= length, ct) : Task.CompletedTask;

    /// <summary>Checks <paramref name="done"/> after every commit; ObjectDisposedException once the indexer is gone.</summary>
    private async Task WaitUntilAsync(Func<bool> done, CancellationToken ct)
    {
        while (true)
        {
            var progress = Volatile.Read(ref _progress);
            if (done()) return;
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_loop.IsFaulted) await _loop.ConfigureAwait(false);
            await progress.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var work = new List<FeedState>();
        var inWork = new HashSet<FeedState>(ReferenceEqualityComparer.Instance); // work.Contains is O(n): thousands of dirty feeds made it O(n²)
        var reader = _signals.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out var s))
                {
                    Volatile.Write(ref s.Queued, 0); // before reading Contiguous: a later append re-signals
                    if (inWork.Add(s)) work.Add(s);
                }
                while (work.Count > 0 && !ct.IsCancellationRequested)
                {
                    var generation = Generation;
                    try { IndexOnce(work, null, publish: true); }
                    catch (ViewsDamagedException e) { _onDamaged(e, generation); }
                    catch (Exception e) when (e is LightningException or IOException)
                    {
                        IndexingLog.CommitFailed(_logger, e);
                        await Task.Delay(1000, ct).ConfigureAwait(false);
                    }
                    if (inWork.Count != work.Count) { inWork.Clear(); inWork.UnionWith(work); } // IndexOnce removed finished feeds
                    // Fold in feeds that became dirty meanwhile, so a busy feed cannot starve the others.
                    while (reader.TryRead(out var s))
                    {
                        Volatile.Write(ref s.Queued, 0);
                        if (inWork.Add(s)) work.Add(s);
                    }
                }
                Pulse();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>Bumped by every rebuild: a caller that saw damage under generation g rebuilds only if no rebuild has happened since.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>
    /// Rebuilds damaged views from the feeds, on the calling thread: empties every table (Meta too),
    /// lets <paramref name="reseed"/> write what is not derived from entries (the identity copy, the
    /// moderation bootstrap), and re-indexes each feed up to where it was indexed before, publishing
    /// no events for entries subscribers have already seen. Anything past that is left to the loop,
    /// which publishes it as usual. Does nothing if another rebuild has run since <paramref name="seenGeneration"/>.
    /// </summary>
    public void Rebuild(int seenGeneration, Action<LightningTransaction> reseed)
    {
        lock (_write)
        {
            if (Generation != seenGeneration) return;
            using (var tx = _views.BeginWrite())
            {
                _views.ClearAll(tx);
                reseed(tx);
                tx.Commit().ThrowOnError();
            }
            Interlocked.Exchange(ref _malformedTotal, 0);
            var targets = new Dictionary<FeedState, long>(ReferenceEqualityComparer.Instance);
            foreach (var s in _feeds.Values)
            {
                targets[s] = Volatile.Read(ref s.Indexed);
                Volatile.Write(ref s.Indexed, 0);
            }
            var work = targets.Where(t => t.Value > 0).Select(t => t.Key).ToList();
            while (work.Count > 0) IndexOnce(work, targets, publish: false);
            Interlocked.Increment(ref _generation);
            foreach (var s in _feeds.Values) Signal(s);
        }
        Pulse();
    }

    // One write transaction: round-robin over the dirty feeds until the entry budget is spent.
    // With limits (a rebuild), each feed stops at its limit and nothing is published.
    private void IndexOnce(List<FeedState> work, Dictionary<FeedState, long>? limits, bool publish)
    {
        lock (_write) IndexOnceLocked(work, limits, publish);
    }

    private void IndexOnceLocked(List<FeedState> work, Dictionary<FeedState, long>? limits, bool publish)
    {
        var sw = Stopwatch.StartNew();
        var events = new List<CabalEvent>();
        var advanced = new List<(FeedState State, long Indexed)>();
        long malformed = 0;
        var count = 0;
        using (var tx = _views.BeginWrite())
        {
            foreach (var s in work)
            {
                if (count >= _maxPerCommit) break;
                var feed = s.Feed;
                if (feed.IsRemoved) continue;
                var limit = limits is null ? (long)feed.Contiguous : Math.Min((long)feed.Contiguous, limits[s]);
                var i = s.Indexed;
                while (i < limit && count < _maxPerCommit)
                {
                    byte[] block;
                    try
                    {
                        if (!feed.TryGet((ulong)i, out block)) { IndexingLog.BlockMissing(_logger, feed.KeyHex, (ulong)i); break; }
                    }
                    catch (ObjectDisposedException) when (feed.IsRemoved) { break; } // removed meanwhile
                    ParsedEntry e;
                    try { e = _applier.Apply(tx, feed.Key, feed.KeyHex, (ulong)i, block, events); }
                    catch (Exception ex) when (ex is not (LightningException or ViewsDamagedException))
                    {
                        // A bug must not stall the cabal on one entry: count it and move on.
                        e = SkippedEntry.Unreadable(SkipReason.WrongTypes, ex.GetType().Name + ": " + ex.Message);
                    }
                    if (e is SkippedEntry skipped)
                    {
                        malformed++;
                        IndexingLog.Malformed(_logger, feed.KeyHex, (ulong)i, skipped.Reason, skipped.Detail);
                        events.Add(new MalformedEntry(feed.KeyHex, (ulong)i, skipped.Reason, skipped.Detail));
                    }
                    i++;
                    count++;
                }
                if (i != s.Indexed)
                {
                    tx.Set(_views.Cursors, feed.Key, ViewKeys.U64((ulong)i));
                    advanced.Add((s, i));
                }
            }
            if (malformed > 0) tx.Set(_views.Meta, "malformed"u8, ViewKeys.U64((ulong)(MalformedTotal + malformed)));
            if (advanced.Count > 0) tx.Commit().ThrowOnError();
        }

        foreach (var (s, i) in advanced) Volatile.Write(ref s.Indexed, i);
        // Done feeds leave the work list; a feed that grew meanwhile was re-signalled.
        // A feed that could not advance although budget was left is blocked (a missing block): drop it
        // until its next event rather than spin.
        work.RemoveAll(s => s.Feed.IsRemoved || Volatile.Read(ref s.Indexed) >= (limits is null ? (long)s.Feed.Contiguous : Math.Min((long)s.Feed.Contiguous, limits[s]))
            || (count < _maxPerCommit && !advanced.Exists(a => a.State == s)));
        if (advanced.Count == 0) return;

        Interlocked.Add(ref _indexed, count);
        Interlocked.Add(ref _malformed, malformed);
        Interlocked.Add(ref _malformedTotal, malformed);
        Interlocked.Increment(ref _commits);
        IndexingLog.Committed(_logger, count, sw.Elapsed.TotalMilliseconds);
        if (!publish) return;

        // cabal-core emits each batch's messages sorted by timestamp; other events keep index order.
        var messages = events.OfType<MessageReceived>().OrderBy(m => m.Message.IndexTimestamp).ToList();
        var mi = 0;
        foreach (var e in events) _events.Publish(e is MessageReceived ? messages[mi++] : e);
        var (indexed, available) = Progress();
        _events.Publish(new SyncProgress(indexed, available));
        Pulse();
    }

    private void Pulse() => Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async ValueTask DisposeAsync()
    {
        _store.FeedAdded -= OnFeedAdded;
        _store.FeedRemoved -= OnFeedRemoved;
        _store.FeedAppended -= OnFeedGrew;
        _store.FeedDownloaded -= OnFeedGrew;
        _signals.Writer.TryComplete();
        Volatile.Write(ref _disposed, 1);
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        Pulse(); // wakes waiters, which then see the indexer is gone instead of waiting forever
        _stop.Dispose();
    }
}
