// One open cabal: the feeds of its group in a FeedStore, the local writer, the persistent views and
// the indexer that keeps them current. Actions append to the local feed (CabalCore.Actions.cs),
// queries read the views (CabalCore.Queries.cs), events go to subscribers (Subscribe). Opening checks
// the store and the views against each other (CabalCore.Consistency.cs); damaged views found by a
// query or the indexer are rebuilt from the feeds (CabalCore.Damage.cs). Blocked users are kept off
// the network, and feeds can be deleted (CabalCore.Blocking.cs).
using Cabal.Chat.Events;
using Cabal.Chat.Indexing;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Chat.Moderation;
using Cabal.Chat.Views;
using Cabal.Multifeed;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using LightningDB;
using Microsoft.Extensions.Logging;

namespace Cabal.Chat;

public sealed partial class CabalCore : IAsyncDisposable
{
    private readonly FeedStore _store;
    private readonly ViewStore _views;
    private readonly AuthTable _auth;
    private readonly Indexer _indexer;
    private readonly EventHub _events = new();
    private readonly ILogger _logger;
    private readonly MonotonicTimestamp _timestamps;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _peers = new(StringComparer.Ordinal);
    private int _disposed;

    // The local writer's multifeed name, the same for the cabal's MultifeedSet, which adopts the writer created here.
    private const string LocalWriterName = MultifeedOptions.DefaultLocalWriterName;

    private CabalCore(FeedStore store, CabalUrl url, CabalOptions options, Feed local, byte[] localSecret, ViewStore views, ILogger logger, MonotonicTimestamp timestamps)
    {
        _store = store;
        Url = url;
        Options = options;
        LocalFeed = local;
        _views = views;
        _logger = logger;
        _timestamps = timestamps;
        _auth = new AuthTable(views);
        var curveSecret = PrivateBox.Ed25519SecretKeyToCurve25519(localSecret);
        CanReadPrivateMessages = true;
        var applier = new EntryApplier(views, _auth, options.Limits, local.Key, curveSecret, options.TimeProvider, timestamps);
        _indexer = new Indexer(store, local, views, applier, _events, options.LoggerFactory.CreateLogger<Indexer>(), options.MaxEntriesPerCommit, OnIndexerFoundDamage);
        StartNetworkBlocks();
    }

    public CabalUrl Url { get; }
    public CabalOptions Options { get; }

    /// <summary>The cabal key (64 lowercase hex).</summary>
    public string KeyHex => Url.KeyHex;

    /// <summary>This user's writable feed; its key is the local user's id.</summary>
    public Feed LocalFeed { get; }

    /// <summary>The local user's key (64 lowercase hex).</summary>
    public string LocalKey => LocalFeed.KeyHex;

    /// <summary>Whether private messages can be decrypted: always, since the local writer's secret key lives with its feed.</summary>
    public bool CanReadPrivateMessages { get; }

    /// <summary>
    /// False while the local writer lacks entries it has already published (its store was damaged,
    /// emptied or restored): publishing then throws <see cref="FeedRecoveryRequiredException"/>
    /// rather than fork the user's log. A re-sync from peers brings the entries back and clears it.
    /// </summary>
    public bool CanPublish => LocalFeed.CanAppend;

    /// <summary>
    /// Opens (or creates) the cabal in <paramref name="store"/>: finds, restores or creates the local
    /// writer, checks the views against the store (CabalCore.Consistency.cs; views ahead of the feeds
    /// are rebuilt), runs the moderation bootstrap with the URL's admin/mod keys and starts indexing
    /// whatever the views have not seen. Returns without waiting for indexing; use
    /// <see cref="WaitForIndexAsync"/> for that.
    /// </summary>
    public static async Task<CabalCore> OpenAsync(FeedStore store, CabalUrl url, CabalOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(url);
        options ??= new CabalOptions();
        var logger = options.LoggerFactory.CreateLogger<CabalCore>();
        var timestamps = options.Timestamps ?? (options.TimeProvider == TimeProvider.System ? MonotonicTimestamp.Shared : new MonotonicTimestamp(options.TimeProvider));
        var viewsDir = options.ViewsDirectory ?? ViewStore.DefaultPath(store.Path, url.KeyHex);
        var views = new ViewStore(viewsDir, options.ViewsMapSize, options.Durable);
        try
        {
            if (views.WasReset) ChatLog.ViewsReset(logger, viewsDir);
            (Feed Local, string? Rebuild) reconciled;
            try { reconciled = await ReconcileAsync(store, url, views, options, logger, cancellationToken).ConfigureAwait(false); }
            catch (ViewsDamagedException e)
            {
                // The identity copy or a cursor failed its check: nothing in the views is trusted.
                // The store holds the writer (the copy is only a fallback), so start the views afresh.
                ChatLog.ViewsDamaged(logger, viewsDir, e.Detail);
                using (var tx = views.BeginWrite())
                {
                    views.ClearAll(tx);
                    tx.Commit().ThrowOnError();
                }
                reconciled = await ReconcileAsync(store, url, views, options, logger, cancellationToken).ConfigureAwait(false);
            }
            var (local, rebuild) = reconciled;
            var secret = local.CopySecretKey()!;

            using (var tx = views.BeginWrite())
            {
                if (rebuild is not null)
                {
                    ChatLog.ViewsRebuilt(logger, viewsDir, rebuild);
                    views.Clear(tx);
                }
                KeepIdentityCopy(tx, views, secret);
                ModerationBootstrap.Run(tx, new AuthTable(views), local.Key, url.AdminKeys, url.ModKeys);
                tx.Commit().ThrowOnError();
            }

            var core = new CabalCore(store, url, options, local, secret, views, logger, timestamps);
            core._indexer.Start();
            ChatLog.Opened(logger, url.KeyHex, core._indexer.FeedCount, local.KeyHex, viewsDir);
            return core;
        }
        catch
        {
            views.Dispose();
            throw;
        }
    }

    /// <summary>Completes when every entry held locally (contiguously) has been indexed.</summary>
    public Task WaitForIndexAsync(CancellationToken cancellationToken = default) => _indexer.WaitForIdleAsync(cancellationToken);

    /// <summary>
    /// Completes when everything this cabal's local writer has published so far is indexed, so a
    /// query made afterwards sees it. Unlike <see cref="WaitForIndexAsync"/>, a sync in progress with
    /// peers does not hold it up.
    /// </summary>
    public Task WaitForOwnEntriesAsync(CancellationToken cancellationToken = default)
        => _indexer.WaitForFeedAsync(LocalFeed, (long)LocalFeed.Length, cancellationToken);

    /// <summary>Indexer counters. EntriesIndexed counts since this open: 0 after a warm start with nothing new.</summary>
    public IndexStatistics Statistics
    {
        get
        {
            var (indexed, available) = _indexer.Progress();
            return new IndexStatistics(_indexer.EntriesIndexed, _indexer.Malformed, _indexer.MalformedTotal, _indexer.Commits, available - indexed, _indexer.FeedCount);
        }
    }

    /// <summary>Entries the views hold, in total: what was indexed before a restart counts too.</summary>
    public long IndexedEntries => _indexer.Progress().Indexed;

    /// <summary>Entries indexed since open (0 after a restart when nothing changed).</summary>
    public long EntriesIndexedSinceOpen => _indexer.EntriesIndexed;

    /// <summary>
    /// Starts receiving events. Each subscriber has its own queue of
    /// <see cref="CabalOptions.EventQueueCapacity"/> events; when it falls behind, its oldest events are dropped.
    /// </summary>
    public CabalSubscription Subscribe() => _events.Add(Options.EventQueueCapacity);

    /// <summary>Called by the networking layer when a peer announces (or drops) its user key (peer-id).</summary>
    public void ReportPeer(string userKey, bool connected)
    {
        var key = CabalKeys.ParseHex(userKey, "peer key");
        // Several connections from one peer are counted; it is offline when the last one drops.
        var count = _peers.AddOrUpdate(key, connected ? 1 : 0, (_, c) => Math.Max(0, c + (connected ? 1 : -1)));
        if (count == 0) _peers.TryRemove(new KeyValuePair<string, int>(key, 0));
        if ((connected && count == 1) || (!connected && count == 0)) _events.Publish(new PeerChanged(key, connected));
    }

    /// <summary>User keys of peers currently connected.</summary>
    public IReadOnlyCollection<string> OnlinePeers => _peers.Keys.ToArray();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _indexer.DisposeAsync().ConfigureAwait(false);
        _events.CompleteAll();
        _views.Dispose();
    }

    private GatedRead BeginRead()
    {
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        return _views.BeginRead();
    }
}
