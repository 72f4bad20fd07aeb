// New feeds on one session (issue 20, defect 3; the set's rules are in MultifeedSet.Admission.cs):
//   * the remote's allowance: NewFeedBurst new keys at once, then NewFeedsPerMinute. Keys beyond it
//     wait in a queue (bounded by MaxKeysOfferedPerSession) and are requested as it refills, so a
//     100,000-key MANIFEST costs 2,000 probes now and one a second after;
//   * a requested new feed is probed (Replication.FeedProbe), not stored: an empty one costs a
//     channel and nothing on disk, and its channel stays open so its first block is still seen;
//   * once a probe shows data the feed is stored, if admission allows, and its channel adopted by a
//     FeedPeer. Refused (a cap, lockdown): it waits on its channel and is looked at again later.
using System.Collections.Concurrent;
using Cabal.Multifeed.Replication;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSession
{
    private static readonly TimeSpan RefusedRetry = TimeSpan.FromSeconds(30);

    // Worker-only.
    private readonly Queue<string> _deferred = new();
    private double _allowance = double.NaN;
    private long _allowanceAt;
    private bool _refillScheduled;
    // Any thread (sync reports).
    private readonly ConcurrentDictionary<string, string> _refused = new(StringComparer.Ordinal);
    private int _deferredCount, _lockedOut;

    /// <summary>New feeds the remote offered that wait for its allowance (NewFeedsPerMinute).</summary>
    public int DeferredFeedCount => Volatile.Read(ref _deferredCount);

    /// <summary>New feeds the remote offered that lockdown kept out.</summary>
    public int LockedOutFeedCount => Volatile.Read(ref _lockedOut);

    /// <summary>Feeds the remote showed data for that admission did not store (a cap or lockdown).</summary>
    public int RefusedFeedCount => _refused.Count;

    /// <summary>Of the remote's offered keys, the ones to request now; new ones beyond its allowance wait.</summary>
    private List<string> Admit(IEnumerable<string> keys)
    {
        var request = new List<string>();
        var refused = 0;
        foreach (var k in keys)
        {
            if (_requested.Contains(k)) continue;
            switch (_set.Classify(k))
            {
                case MultifeedSet.Offer.Refused: refused++; break; // blocked or removed: not asked for again
                case MultifeedSet.Offer.Held: request.Add(k); break;
                case MultifeedSet.Offer.LockedOut: Interlocked.Increment(ref _lockedOut); break;
                case MultifeedSet.Offer.New:
                    if (TakeAllowance()) request.Add(k);
                    else _deferred.Enqueue(k);
                    break;
            }
        }
        if (refused > 0) MultifeedLog.FeedsRefused(_logger, _set.CabalKeyHex, refused);
        Volatile.Write(ref _deferredCount, _deferred.Count);
        if (_deferred.Count > 0) ScheduleRefill();
        return request;
    }

    private bool TakeAllowance()
    {
        var o = _set.Options;
        var time = o.TimeProvider;
        if (double.IsNaN(_allowance)) { _allowance = o.NewFeedBurst; _allowanceAt = time.GetTimestamp(); }
        else
        {
            var now = time.GetTimestamp();
            _allowance = Math.Min(o.NewFeedBurst, _allowance + time.GetElapsedTime(_allowanceAt, now).TotalMinutes * o.NewFeedsPerMinute);
            _allowanceAt = now;
        }
        if (_allowance < 1) return false;
        _allowance--;
        return true;
    }

    private void ScheduleRefill()
    {
        if (_refillScheduled || _set.Options.NewFeedsPerMinute == 0) return;
        _refillScheduled = true;
        var delay = TimeSpan.FromMinutes(Math.Max(1.0, _deferred.Count) / _set.Options.NewFeedsPerMinute);
        _ = PostLaterAsync(new Work(WorkKind.Refill), delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay > TimeSpan.FromSeconds(10) ? TimeSpan.FromSeconds(10) : delay);
    }

    private void OnRefill()
    {
        _refillScheduled = false;
        var batch = new List<string>();
        while (_deferred.Count > 0)
        {
            var k = _deferred.Peek();
            if (_requested.Contains(k)) { _deferred.Dequeue(); continue; }
            var offer = _set.Classify(k);
            if (offer == MultifeedSet.Offer.New && !TakeAllowance()) break;
            _deferred.Dequeue();
            if (offer == MultifeedSet.Offer.LockedOut) Interlocked.Increment(ref _lockedOut);
            else if (offer is MultifeedSet.Offer.New or MultifeedSet.Offer.Held) batch.Add(k);
        }
        // The request is counted as outstanding before the keys stop counting as deferred, so a sync
        // report taken in between never sees them in neither.
        if (batch.Count > 0) SendRequest(batch);
        Volatile.Write(ref _deferredCount, _deferred.Count);
        if (_deferred.Count > 0) ScheduleRefill();
    }

    private async Task PostLaterAsync(Work work, TimeSpan delay)
    {
        try { await Task.Delay(delay, _set.Options.TimeProvider, _stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return; }
        Post(work);
    }

    /// <summary>Agreed feeds the set does not hold are probed; the held ones replicate at once.</summary>
    private async Task ReplicateOrProbeAsync(IEnumerable<string> keys)
    {
        var held = new List<Feed>();
        var fresh = new List<string>();
        foreach (var k in keys)
        {
            if (_set.TryGet(k) is { } feed) held.Add(feed);
            else if (_set.Options.StoreEmptyFeeds) fresh.Add(k);
            else Replication.Probe(Convert.FromHexString(k), OnProbeData);
        }
        if (fresh.Count > 0)
        {
            // multifeed 6's way: every agreed feed stored at once (the creations share group commits).
            var stored = await Task.WhenAll(fresh.Select(k => _set.StoreWithDataAsync(k, _stop.Token))).ConfigureAwait(false);
            foreach (var (feed, refused, _) in stored)
            {
                if (feed is not null) held.Add(feed);
                else if (refused is not null) MultifeedLog.FeedRefused(_logger, PeerLabel, "(agreed feed)", refused);
            }
        }
        StartReplicating(held);
    }

    // Read loop: a probe saw data. The worker stores the feed.
    private void OnProbeData(FeedProbe probe) => Post(new Work(WorkKind.Promote, Keys: [probe.KeyHex]));

    private async Task PromoteAsync(string keyHex)
    {
        var probe = Replication.Probes.FirstOrDefault(p => p.KeyHex == keyHex);
        var (feed, refused, failed) = await _set.StoreWithDataAsync(keyHex, _stop.Token).ConfigureAwait(false);
        if (feed is not null)
        {
            _refused.TryRemove(keyHex, out _);
            StartReplicating([feed], adopt: true);
            return;
        }
        if (refused is not null && _refused.TryAdd(keyHex, refused)) MultifeedLog.FeedRefused(_logger, PeerLabel, keyHex, refused);
        if (probe is null) return; // its channel has gone: nothing more will come of it here
        // Looked at again later: the cap may have room, lockdown may be lifted, the disk may have space.
        if (failed) Interlocked.Increment(ref _creationsFailed);
        _ = RearmLaterAsync(probe, failed ? TimeSpan.FromSeconds(1) : RefusedRetry, failed);
    }

    private async Task RearmLaterAsync(FeedProbe probe, TimeSpan delay, bool failed)
    {
        try { await Task.Delay(delay, _set.Options.TimeProvider, _stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return; }
        if (failed) Interlocked.Decrement(ref _creationsFailed);
        probe.Rearm();
        if (probe.HasData) Post(new Work(WorkKind.Promote, Keys: [probe.KeyHex]));
    }
}
