// What may move on the network. The set consults Options.Policy (the chat layer's blocks, say) and
// the store's forgotten feeds at every point a feed could be offered, requested, granted, accepted,
// opened or served (MultifeedSession.Policy.cs has the list). A change of answers takes effect on
// every live connection at once through ReconsiderFeeds: refused feeds have their channels closed
// and leave the sessions' offers; allowed-again ones are offered or requested again.
namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSet
{
    /// <summary>Whether the feed (lowercase hex key) may be replicated: not refused by the policy, not forgotten by the store.</summary>
    public bool MayReplicate(string keyHex)
        => (Options.Policy is not { } policy || policy.MayReplicate(keyHex)) && !Store.IsForgotten(keyHex);

    internal bool Allowed(string keyHex) => MayReplicate(keyHex);

    /// <summary>
    /// The policy's answer for <paramref name="keys"/> (lowercase hex) may have changed: every session
    /// stops the refused ones now (their channels close; nothing more is uploaded or downloaded) and
    /// offers or requests the allowed ones again. Any thread.
    /// </summary>
    public void ReconsiderFeeds(IReadOnlyCollection<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0) return;
        var sessions = SessionSnapshot();
        foreach (var k in keys)
        {
            if (Allowed(k) || TryGet(k) is not { } feed) continue;
            var stopped = 0;
            foreach (var s in sessions) if (s.Stop(feed)) stopped++;
            MultifeedLog.FeedStopped(_logger, CabalKeyHex, k, stopped, "refused by the replication policy");
        }
        foreach (var s in sessions) s.Reconsider([.. keys]);
    }

    private void OnStoreFeedRemoved(Feed feed)
    {
        if (!_byKey.TryRemove(new KeyValuePair<string, Feed>(feed.KeyHex, feed))) return;
        lock (_lock)
        {
            _ordered.Remove(feed);
            _withData.Remove(feed.KeyHex); // no longer counted against MaxFeeds and MaxStoreBytes
            _bytesHeld = -1;
        }
        var sessions = SessionSnapshot();
        var stopped = 0;
        foreach (var s in sessions) if (s.Stop(feed)) stopped++;
        MultifeedLog.FeedStopped(_logger, CabalKeyHex, feed.KeyHex, stopped, "removed from the store");
        foreach (var s in sessions) s.Reconsider([feed.KeyHex]);
    }
}
