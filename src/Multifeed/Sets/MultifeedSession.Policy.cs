// The replication policy on one session. Every point where a feed could move consults
// MultifeedSet.Allowed: the HANDSHAKE's manifest and live announcements (offer), the answer to a
// MANIFEST (request, in MultifeedSet.Classify), a REQUEST_FEEDS (grant), a REPLICATE_FEEDS
// (accept), StartReplicating (open) and the remote's Opens (declined here, not counted as unknown).
// When answers change, Stop closes a refused feed's channel at once from the caller's thread, and
// the worker then forgets it from the offers and agreements, so that allowing it again later runs
// the usual offer/request/replicate exchange afresh.
using Cabal.Multifeed.Replication;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSession
{
    /// <summary>Closes <paramref name="feed"/>'s channel on this connection, if open (any thread).</summary>
    internal bool Stop(Feed feed) => Replication.Stop(feed, "the feed is no longer replicated (blocked or removed)");

    /// <summary>The policy's answer for <paramref name="keys"/> may have changed (any thread).</summary>
    internal void Reconsider(List<string> keys) => Post(new Work(WorkKind.Reconsider, Keys: keys));

    private void OnReconsider(List<string> keys)
    {
        List<string>? request = null;
        foreach (var k in keys)
        {
            var feed = _set.TryGet(k);
            var allowed = _set.Allowed(k);
            if (!allowed || feed is null)
            {
                // Refused or removed: forget every agreement, so nothing re-opens it unasked.
                if (_agreed.Remove(k) && !_dormant.TryRemove(k, out _)) Interlocked.Decrement(ref _active);
                _localOffer.Remove(k);
                _requested.Remove(k);
                _announce.Remove(k);
                _remoteLengths?.Remove(k); // stale once stopped: re-agreed, it is opened, never left dormant
                if (feed is not null) Stop(feed);
                if (!allowed) continue;
            }
            // Allowed (again). Before the remote is ready the handshake's manifest will carry it.
            if (!_remoteReady || _agreed.Contains(k)) continue;
            if (_remoteOffer.Contains(k)) { if (_requested.Add(k)) (request ??= []).Add(k); }
            else if (feed is not null && _localOffer.Add(k)) _announce.Add(k);
        }
        if (request is null) return;
        Interlocked.Increment(ref _requestsOutstanding);
        NoteRequested(request);
        _requestExt.Send(MultifeedWire.WriteKeyArray(request));
    }

    /// <summary>
    /// The remote opened an agreed feed whose channel here has closed (a block lifted on either side,
    /// or the remote re-opening after closing it): open it again, unless the policy refuses it or the
    /// remote is barred from it after a fault.
    /// </summary>
    private void Reopen(Feed feed)
    {
        if (!_agreed.Contains(feed.KeyHex) || !_set.Allowed(feed.KeyHex)) return;
        if (Replication.PeerFor(feed) is { IsClosed: false }) return;
        if (Connection.RemoteStaticKey is { } k && _set.Replicator.Hub(feed).IsBarred(Convert.ToHexStringLower(k.Span))) return;
        Replication.Replicate(feed);
    }
}
