// Feeds offered by peers join the set through here, under the feed cap. Creation is pipelined: all
// headers of one REPLICATE_FEEDS are queued at once and share the store's group commits, so 10,000
// new feeds cost a handful of commits, not 10,000.
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSet
{
    private int _reserved; // feeds being created, counted against the cap before they exist

    /// <summary>
    /// Of <paramref name="keys"/> (lowercase hex, validated), the ones this set may take: those it
    /// holds already, then as many new ones as the cap allows. Keys the store holds for another cabal
    /// are refused. Nothing is reserved: the cap is enforced again at creation.
    /// </summary>
    internal List<string> Admissible(IReadOnlyList<string> keys)
    {
        var result = new List<string>(keys.Count);
        var room = Options.MaxFeeds - Count - Volatile.Read(ref _reserved);
        var skipped = 0;
        var refused = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            if (!seen.Add(k)) continue;
            if (!Allowed(k)) { refused++; continue; } // blocked or removed: not asked for again

            if (_byKey.ContainsKey(k)) { result.Add(k); continue; }
            if (Store.TryGet(Convert.FromHexString(k)) is not null) { MultifeedLog.ForeignFeed(_logger, k); continue; }
            if (room > 0) { room--; result.Add(k); }
            else skipped++;
        }
        if (skipped > 0) MultifeedLog.FeedLimitReached(_logger, Options.MaxFeeds, CabalKeyHex, skipped);
        if (refused > 0) MultifeedLog.FeedsRefused(_logger, CabalKeyHex, refused);
        return result;
    }

    /// <summary>
    /// The feeds for <paramref name="keys"/>, adding the missing ones to the store (empty, read-only,
    /// grouped under the cabal key) while the cap allows. Keys that could not be added are left out;
    /// those that failed to be stored (a full disk) are returned as Failed, to be tried again.
    /// </summary>
    internal async Task<(List<Feed> Feeds, List<string> Failed)> GetOrAddAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        var feeds = new List<Feed>(keys.Count);
        var missing = new List<string>();
        var failed = new List<string>();
        foreach (var k in keys)
        {
            if (!Allowed(k)) continue; // refused since it was requested
            if (_byKey.TryGetValue(k, out var f)) feeds.Add(f);
            else missing.Add(k);
        }
        if (missing.Count == 0) return (feeds, failed);

        int granted;
        lock (_lock)
        {
            granted = Math.Clamp(Options.MaxFeeds - Count - _reserved, 0, missing.Count);
            _reserved += granted;
        }
        if (granted < missing.Count) MultifeedLog.FeedLimitReached(_logger, Options.MaxFeeds, CabalKeyHex, missing.Count - granted);
        try
        {
            var pending = missing.Take(granted).Select(k => Store.GetOrAddRemoteAsync(Convert.FromHexString(k), CabalKey, ct)).ToList();
            try { await Task.WhenAll(pending).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { MultifeedLog.CreateFailed(_logger, CabalKeyHex, e); }
            for (var i = 0; i < pending.Count; i++)
            {
                var t = pending[i];
                if (t.IsFaulted) failed.Add(missing[i]); // a storage failure: the caller tries again later
                if (!t.IsCompletedSuccessfully) continue;
                var feed = t.Result;
                // The store may have held it for another cabal after all (added meanwhile).
                if (feed.Group.Span.SequenceEqual(CabalKey)) { Add(feed, raise: true); feeds.Add(feed); }
                else MultifeedLog.ForeignFeed(_logger, feed.KeyHex);
            }
        }
        finally
        {
            lock (_lock) _reserved -= granted;
        }
        return (feeds, failed);
    }
}
