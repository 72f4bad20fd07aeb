// Feed admission (issue 20, defect 3): which offered feeds this set takes, and when it stores them.
//
//   * A key the set holds is always replicated.
//   * A new key costs the offering session one unit of its allowance (NewFeedBurst, then
//     NewFeedsPerMinute); in lockdown it must be vouched for first. It is then probed, not stored.
//   * It is stored once the remote shows data, if the caps allow: MaxFeeds counts feeds with data
//     only, MaxStoreBytes the bytes held. At a cap, a feed whose user is vouched for (Standing: a
//     moderator, or named by one) is still taken; a stranger's is not, and waits on its channel.
//
// The set knows nothing of cabals: the chat layer says who is vouched for through Standing.
namespace Cabal.Multifeed.Sets;

/// <summary>How much the chat layer trusts the user behind a feed key (see <see cref="MultifeedSet.Standing"/>).</summary>
public enum FeedStanding
{
    /// <summary>Nothing is known of the user.</summary>
    Stranger,
    /// <summary>An admin or moderator has set a flag on the user or named them.</summary>
    Vouched,
    /// <summary>The user is an admin or moderator.</summary>
    Moderator,
}

public sealed partial class MultifeedSet
{
    private readonly HashSet<string> _withData = new(StringComparer.Ordinal); // under _lock, once counted
    private bool _withDataCounted;
    private long _bytesHeld = -1, _bytesCountedAt;
    private volatile bool _lockdown;
    private volatile Func<string, FeedStanding>? _standing;

    /// <summary>
    /// Who vouches for the user behind a feed key (lowercase hex); null: everyone is a stranger.
    /// Asked on a session's worker for keys the set does not hold: keep it quick and never throw.
    /// </summary>
    public Func<string, FeedStanding>? Standing { get => _standing; set => _standing = value; }

    /// <summary>
    /// In lockdown a feed the set does not hold is taken only if <see cref="Standing"/> vouches for its
    /// user; feeds already held carry on. Starts as <see cref="MultifeedOptions.Lockdown"/>.
    /// </summary>
    public bool Lockdown
    {
        get => _lockdown;
        set
        {
            if (_lockdown == value) return;
            _lockdown = value;
            MultifeedLog.LockdownChanged(_logger, CabalKeyHex, value);
        }
    }

    /// <summary>Feeds of the set that hold data (or are ours to write): what <see cref="MultifeedOptions.MaxFeeds"/> counts.</summary>
    public int FeedsWithData { get { lock (_lock) { CountWithDataLocked(); return _withData.Count; } } }

    /// <summary>Bytes of feed data the set holds, as of at most a second ago: what <see cref="MultifeedOptions.MaxStoreBytes"/> counts.</summary>
    public long BytesHeld
    {
        get
        {
            var time = Options.TimeProvider;
            lock (_lock)
            {
                if (_bytesHeld >= 0 && time.GetElapsedTime(_bytesCountedAt) < TimeSpan.FromSeconds(1)) return _bytesHeld;
            }
            long total = 0;
            foreach (var f in Feeds) total += (long)f.ByteLength;
            lock (_lock) { _bytesHeld = total; _bytesCountedAt = time.GetTimestamp(); }
            return total;
        }
    }

    private FeedStanding StandingOf(string keyHex)
    {
        if (_standing is not { } standing) return FeedStanding.Stranger;
        try { return standing(keyHex); }
        catch (Exception e) { MultifeedLog.SessionFailed(_logger, "(Standing callback)", e); return FeedStanding.Stranger; }
    }

    /// <summary>Whether lockdown keeps out the new feed <paramref name="keyHex"/>.</summary>
    internal bool LockedOut(string keyHex) => _lockdown && StandingOf(keyHex) == FeedStanding.Stranger;

    /// <summary>
    /// Why the new feed <paramref name="keyHex"/>, which has shown data, may not be stored now (null: it
    /// may). Reserves its place under the feed cap on success; release with <see cref="ReleaseReservation"/>.
    /// </summary>
    internal string? ReserveForStore(string keyHex)
    {
        var standing = StandingOf(keyHex);
        if (_lockdown && standing == FeedStanding.Stranger) return "the cabal is in lockdown";
        var overBytes = BytesHeld >= Options.MaxStoreBytes;
        lock (_lock)
        {
            CountWithDataLocked();
            var full = _withData.Count + _reserved >= Options.MaxFeeds;
            if (standing == FeedStanding.Stranger && full) return $"the cabal holds {Options.MaxFeeds} feeds with data (--max-feeds)";
            if (standing == FeedStanding.Stranger && overBytes) return $"the cabal holds {Options.MaxStoreBytes} bytes (--max-store)";
            _reserved++;
            return null;
        }
    }

    internal void ReleaseReservation() { lock (_lock) _reserved--; }

    // Counted on first need rather than at open: reading every feed's length parses every header,
    // which opening 100,000 feeds otherwise avoids.
    private void CountWithDataLocked()
    {
        if (_withDataCounted) return;
        _withDataCounted = true;
        foreach (var f in _ordered)
            if (f.Writable || f.Length > 0) _withData.Add(f.KeyHex);
    }

    private void NoteData(Feed feed)
    {
        lock (_lock)
        {
            if (_withDataCounted && (feed.Writable || feed.Length > 0)) _withData.Add(feed.KeyHex);
            _bytesHeld = -1;
        }
    }
}
