// Blocked means gone from the network, and feeds can be deleted (issue 20). NetworkBlocks holds the
// users blocked cabal-wide and is the replication policy of the cabal's multifeed set; it follows
// every applied moderation entry as the indexer commits it (EventHub.Observer), so blocks by me, by
// an admin or by a mod, early or late in the log, all take effect once indexed. With
// CabalOptions.DeleteBlockedFeeds (or /block --delete, DeleteFeedsAsync) the blocked user's data is
// removed from the store too; what was indexed of it stays in the views, hidden, until they are rebuilt.
using Cabal.Chat.Events;
using Cabal.Chat.Keys;
using Cabal.Chat.Moderation;
using Cabal.Multifeed;
using Cabal.Multifeed.Sets;

namespace Cabal.Chat;

public sealed partial class CabalCore
{
    private readonly NetworkBlocks _networkBlocks = new();

    /// <summary>The replication policy for this cabal's multifeed set: users blocked cabal-wide are not replicated.</summary>
    public IReplicationPolicy NetworkPolicy => _networkBlocks;

    /// <summary>Users blocked cabal-wide ("@"), whose feeds are neither served nor fetched.</summary>
    public IReadOnlyCollection<string> NetworkBlockedUsers => _networkBlocks.Keys;

    /// <summary>Raised with the users whose cabal-wide block changed (on the indexer's thread; keep it short).</summary>
    public event Action<IReadOnlyList<string>>? NetworkBlocksChanged;

    /// <summary>Called from the constructor: loads the blocks and follows the indexer from then on.</summary>
    private void StartNetworkBlocks()
    {
        using (var read = _views.BeginRead()) _networkBlocks.Load(read.Transaction, _auth);
        _networkBlocks.Changed += OnNetworkBlocksChanged;
        _events.Observer = e =>
        {
            if (e is ModerationChanged { Applied: true } m) _networkBlocks.Apply(m.Entry);
        };
        if (Options.DeleteBlockedFeeds && _networkBlocks.Keys.Count > 0) _ = DeleteBlockedAsync([.. _networkBlocks.Keys]);
    }

    private void ReloadNetworkBlocks()
    {
        using var read = _views.BeginRead();
        _networkBlocks.Load(read.Transaction, _auth);
    }

    private void OnNetworkBlocksChanged(IReadOnlyList<string> users)
    {
        foreach (var u in users) ChatLog.NetworkBlockChanged(_logger, KeyHex, u, _networkBlocks.IsBlocked(u));
        try { NetworkBlocksChanged?.Invoke(users); }
        catch (Exception e) { ChatLog.HandlerFailed(_logger, e); }
        if (Options.DeleteBlockedFeeds) _ = DeleteBlockedAsync(users.Where(_networkBlocks.IsBlocked).ToList());
    }

    private async Task DeleteBlockedAsync(IReadOnlyList<string> users)
    {
        if (users.Count == 0) return;
        try { await DeleteFeedsAsync(users, remember: false).ConfigureAwait(false); }
        catch (Exception e) when (e is not OutOfMemoryException) { ChatLog.BlockedFeedNotDeleted(_logger, KeyHex, e); }
    }

    /// <summary>
    /// Deletes the feeds of <paramref name="feedKeys"/> (users' keys) from the store: the feeds are
    /// gone at once (their replication stops on every connection) and their records are purged in
    /// the background. Keys this cabal does not hold are skipped; the local writer is refused
    /// (<see cref="ArgumentException"/>). With <paramref name="remember"/>, a peer offering one again
    /// is not asked for it (FeedStore.IsForgotten); without, a blocked user's feed comes back only once
    /// unblocked. With <paramref name="rebuildViews"/> the views are rebuilt from the remaining feeds,
    /// so the deleted feeds' messages go too. Returns the feeds deleted.
    /// </summary>
    public async Task<IReadOnlyList<Feed>> DeleteFeedsAsync(IEnumerable<string> feedKeys, bool remember = false, bool rebuildViews = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedKeys);
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        var feeds = new List<Feed>();
        foreach (var k in feedKeys)
        {
            var key = CabalKeys.ParseHex(k, "feed key");
            if (key == LocalKey) throw new ArgumentException($"Feed {key[..8]} is your own (the local writer); it cannot be deleted. Forget the whole cabal instead.");
            if (_store.TryGet(Convert.FromHexString(key)) is { } feed && feed.Group.Span.SequenceEqual(Url.Key)) feeds.Add(feed);
        }
        if (feeds.Count == 0) return [];
        var generation = _indexer.Generation;
        await _store.RemoveAsync(feeds, remember, cancellationToken).ConfigureAwait(false);
        if (rebuildViews)
        {
            var secret = LocalFeed.CopySecretKey()!;
            await Task.Run(() => _indexer.Rebuild(generation, tx =>
            {
                KeepIdentityCopy(tx, _views, secret);
                Moderation.ModerationBootstrap.Run(tx, _auth, LocalFeed.Key, Url.AdminKeys, Url.ModKeys);
            }), cancellationToken).ConfigureAwait(false);
            ReloadNetworkBlocks();
        }
        return feeds;
    }
}
