// Completion for "read what peers have": done when at least one peer is connected and every
// connected peer's session is in sync by protocol facts (MultifeedSession.Sync.cs). Callers above
// (the chat layer) then wait for their own indexing of what was stored.
//
// The wait looks again whenever a session or a feed channel reports an event (SignalSyncProgress:
// a handshake, a manifest, a Have, a block stored, a channel or session ended), not only every
// SyncPollInterval: a reader that polled found its last block stored up to 50 ms after the fact.
// Looks are spaced so that they take at most a fifth of the time (a look walks every feed of every
// session), and the poll stays as the backstop.
using System.Diagnostics;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSet
{
    private static readonly TimeSpan MinLookGap = TimeSpan.FromMilliseconds(1);
    private TaskCompletionSource? _syncProgress;

    /// <summary>Something a sync report is made of may have changed: a waiting <see cref="WaitForSyncAsync"/> looks again now. Cheap when nobody waits.</summary>
    internal void SignalSyncProgress()
    {
        var waiter = Volatile.Read(ref _syncProgress);
        if (waiter is not null && Interlocked.CompareExchange(ref _syncProgress, null, waiter) == waiter) waiter.TrySetResult();
    }

    /// <summary>
    /// Until <paramref name="progress"/> or the poll interval (at most <paramref name="left"/>) on the set's
    /// clock; woken by progress, then a further <paramref name="gap"/> of real time when looking costs that
    /// much (a CPU budget, not a protocol time).
    /// </summary>
    private async Task WaitAsync(Task progress, TimeSpan gap, TimeSpan left, TimeProvider time, CancellationToken cancellationToken)
    {
        var poll = Options.SyncPollInterval < left ? Options.SyncPollInterval : left;
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var timer = Task.Delay(poll, time, stop.Token);
            await Task.WhenAny(progress, timer).ConfigureAwait(false);
            if (!timer.IsCompleted) stop.Cancel(); // releases the timer
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (progress.IsCompleted && gap > MinLookGap) await Task.Delay(gap < poll ? gap : poll, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes at the next <see cref="SignalSyncProgress"/> (shared by every waiter).</summary>
    private Task NextSyncProgress()
    {
        if (Volatile.Read(ref _syncProgress) is { } current) return current.Task;
        var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (Interlocked.CompareExchange(ref _syncProgress, fresh, null) ?? fresh).Task;
    }

    /// <summary>Where the set stands with its peers right now (any thread).</summary>
    public MultifeedSyncReport SyncReport()
    {
        // Ended sessions are not connected peers, though they stay listed until their worker has released everything.
        var peers = SessionSnapshot().Where(s => !s.IsEnded).Select(s => s.SyncReport()).ToList();
        ulong held = 0, known = 0;
        foreach (var feed in Feeds)
        {
            var have = feed.DownloadedCount();
            held += have;
            var remote = 0UL;
            foreach (var s in SessionSnapshot())
                if (s.Replication.PeerFor(feed) is { } p) remote = Math.Max(remote, p.RemoteLength);
            known += Math.Max(Math.Max(have, feed.Length), remote);
        }
        var empty = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in SessionSnapshot())
            foreach (var p in s.Replication.Probes)
                if (p.KnownEmpty && !p.IsAdopted && !_byKey.ContainsKey(p.KeyHex)) empty.Add(p.KeyHex);
        return new MultifeedSyncReport(peers, Count, held, known) { EmptyFeedsNotStored = empty.Count };
    }

    private bool PeersInSync()
    {
        var connected = 0;
        foreach (var s in SessionSnapshot())
        {
            if (s.IsEnded) continue;
            if (!s.SyncReport().InSync) return false;
            connected++;
        }
        return connected > 0;
    }

    /// <summary>
    /// Waits until at least one peer is connected and every connected peer is in sync (its manifest
    /// received, every agreed feed's remote length known, and every block it holds stored here), or
    /// until <paramref name="timeout"/>. Returns the last report either way: check
    /// <see cref="MultifeedSyncReport.InSync"/>, and print the report to say what was reached.
    /// Throws only if <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task<MultifeedSyncReport> WaitForSyncAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var time = Options.TimeProvider;
        var started = time.GetTimestamp();
        // Only the sessions are looked at; the block totals (a pass over every feed) are made at the end.
        while (true)
        {
            // Taken before looking, so an event while looking is not missed.
            var progress = NextSyncProgress();
            var look = Stopwatch.GetTimestamp();
            if (PeersInSync() && SyncReport() is { InSync: true } done) return done;
            var elapsed = time.GetElapsedTime(started);
            if (elapsed >= timeout) return SyncReport();
            var gap = Stopwatch.GetElapsedTime(look) * 4;
            await WaitAsync(progress, gap > MinLookGap ? gap : MinLookGap, timeout - elapsed, time, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>The set's progress with its peers (see <see cref="MultifeedSet.SyncReport"/>).</summary>
/// <param name="Peers">One entry per connected peer (session).</param>
/// <param name="FeedCount">Feeds in the set.</param>
/// <param name="BlocksHeld">Blocks stored durably, over all feeds.</param>
/// <param name="BlocksKnown">Blocks known to exist: per feed the most of its length, what is held, and what any peer announced.</param>
public sealed record MultifeedSyncReport(IReadOnlyList<PeerSyncReport> Peers, int FeedCount, ulong BlocksHeld, ulong BlocksKnown)
{
    /// <summary>Feeds peers offered that they hold empty: watched, not stored, not counted by the caps (distinct keys).</summary>
    public int EmptyFeedsNotStored { get; init; }

    /// <summary>At least one peer is connected, and every connected peer is in sync.</summary>
    public bool InSync => Peers.Count > 0 && Peers.All(p => p.InSync);

    /// <summary>No peer is connected (none reached, or all left).</summary>
    public bool NoPeers => Peers.Count == 0;

    /// <summary>One line for a user: what was reached.</summary>
    public override string ToString()
    {
        var empty = EmptyFeedsNotStored > 0 ? $" ({EmptyFeedsNotStored} empty, not stored)" : "";
        if (NoPeers) return $"no peer connected; {BlocksHeld} of {BlocksKnown} known blocks held in {FeedCount} feeds{empty}";
        var state = InSync ? "in sync" : "not in sync";
        return $"{state} with {Peers.Count} peer(s), {BlocksHeld} of {BlocksKnown} known blocks held in {FeedCount} feeds{empty}: " + string.Join("; ", Peers);
    }
}
