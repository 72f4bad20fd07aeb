// Feed channels. Every agreed feed gets a channel, opened without waiting for the remote (the
// connection pipelines the Opens), unless length sync says both sides hold it completely at the
// same length: then it stays "dormant" and is opened lazily, when our copy grows (Appended, from
// any source) or when the remote opens it (its copy grew). Decisions on the two sides may differ
// (lengths move while messages cross); that costs one Open, never a missed update, because either
// side opening makes the other open too.
using System.Collections.Concurrent;
using Cabal.Net;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSession
{
    private readonly HashSet<string> _agreed = new(StringComparer.Ordinal); // worker-only
    private readonly ConcurrentDictionary<string, Feed> _dormant = new(StringComparer.Ordinal);
    private Dictionary<string, SyncWire.Entry>? _remoteLengths; // worker-only
    private int _active;

    /// <summary>Feeds agreed on this session whose channels have been opened.</summary>
    public int ActiveFeedCount => Volatile.Read(ref _active);

    /// <summary>Feeds agreed on this session left unopened because both sides hold them at the same length.</summary>
    public int DormantFeedCount => _dormant.Count;

    /// <summary>Feed channels of this session that the remote has opened too (duplex).</summary>
    public int OpenChannelCount => Replication.RemoteOpenedCount;

    /// <summary>True once the remote's feed lengths arrived (both peers are this implementation).</summary>
    public bool LengthSyncActive => Volatile.Read(ref _remoteLengths) is not null;

    private void OnSync(ReadOnlySpan<byte> body)
    {
        if (_remoteLengths is not null) return; // one per session; later lengths come as Opens
        Volatile.Write(ref _remoteLengths, SyncWire.Read(body, _set.Options.MaxKeysPerMessage));
    }

    /// <param name="adopt">The feeds were probed here and showed data: never dormant, their probe's channel is taken over.</param>
    private void StartReplicating(List<Feed> feeds, bool adopt = false)
    {
        int opened = 0, dormant = 0;
        foreach (var feed in feeds)
        {
            if (!_set.Allowed(feed.KeyHex)) continue; // refused since it was agreed
            if (!_agreed.Add(feed.KeyHex)) continue; // multifeed: never fold a feed in twice
            if (!adopt && CanStayDormant(feed, out var length))
            {
                _dormant[feed.KeyHex] = feed;
                // A growth or a remote Open between the check and the insert found nothing to wake: look again.
                if (feed.Length != length || Connection.IsRemoteOpenPending(feed.DiscoveryKey)) Wake(feed);
                else { dormant++; continue; }
            }
            else Open(feed);
            opened++;
        }
        if (opened + dormant > 0) MultifeedLog.Replicating(_logger, PeerLabel, opened, dormant);
    }

    private bool CanStayDormant(Feed feed, out ulong length)
    {
        length = feed.Length;
        return _remoteLengths is { } remote
            && remote.TryGetValue(feed.KeyHex, out var theirs)
            && theirs.Complete && theirs.Length == length
            && feed.Contiguous >= length;
    }

    private void Open(Feed feed)
    {
        // Counted first: once the Open is out, the remote can answer and data can flow before this
        // thread runs again, and a reader must not see the feed replicated yet not counted.
        Interlocked.Increment(ref _active);
        Replication.Replicate(feed);
    }

    private void Wake(Feed feed)
    {
        if (_dormant.TryRemove(feed.KeyHex, out _)) Open(feed);
    }

    /// <summary>A feed of the set grew (any thread): if it is dormant here, the remote must hear of it.</summary>
    internal void OnFeedGrew(Feed feed)
    {
        if (_dormant.ContainsKey(feed.KeyHex)) Post(new Work(WorkKind.FeedGrew, Feed: feed));
    }

    private void OnRemoteOpen(byte[] discoveryKey)
    {
        if (_set.Store.TryGetByDiscoveryKey(discoveryKey) is not { } feed) return;
        if (_dormant.ContainsKey(feed.KeyHex)) Wake(feed);
        else Reopen(feed);
    }
}
