// A multifeed 6 set bound to one cabal key (spec/cabal.md §2): the local writer plus every feed
// learnt from peers, all kept in the shared FeedStore and tagged with the cabal key as their group.
// The set itself holds no storage of its own: membership is "store feeds whose group is the key",
// mirrored in memory so lookups by key are O(1) and offers are built without scanning the store.
//
// Structure (partial class by concern):
//   MultifeedSet.cs          opening, membership, the local writer
//   MultifeedSet.Remote.cs   adding offered feeds once they show data
//   MultifeedSet.Admission.cs which new feeds are taken: lockdown, caps with priority (issue 20)
//   MultifeedSet.Sessions.cs one MultifeedSession per connection, fan-out of feed events
//   MultifeedSet.Sync.cs     the sync report over every session, and waiting for "in sync"
//   MultifeedSet.Policy.cs   the replication policy (blocked feeds) and feeds removed from the store
using System.Collections.Concurrent;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSet : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Feed> _byKey = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<Feed> _ordered = [];
    private readonly SemaphoreSlim _writerLock = new(1, 1);
    private readonly ILogger _logger;
    private Feed? _local;
    private int _disposed;

    private MultifeedSet(FeedStore store, Replicator replicator, byte[] cabalKey, MultifeedOptions options)
    {
        Store = store;
        Replicator = replicator;
        CabalKey = cabalKey;
        CabalKeyHex = Convert.ToHexStringLower(cabalKey);
        DiscoveryKey = HypercoreCrypto.DiscoveryKey(cabalKey);
        Options = options;
        _logger = options.LoggerFactory.CreateLogger<MultifeedSet>();
    }

    /// <summary>
    /// Opens the set of <paramref name="cabalKey"/> over the feeds <paramref name="store"/> already holds
    /// for it, creating the local writer (named <see cref="MultifeedOptions.LocalWriterName"/>) if
    /// there is none yet, with <paramref name="localKeyPair"/> or a fresh key pair.
    /// </summary>
    public static async Task<MultifeedSet> OpenAsync(FeedStore store, Replicator replicator, ReadOnlyMemory<byte> cabalKey,
        MultifeedOptions? options = null, KeyPair? localKeyPair = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(replicator);
        if (cabalKey.Length != 32) throw new ArgumentException("A cabal key is 32 bytes.", nameof(cabalKey));
        options?.Validate();
        var set = new MultifeedSet(store, replicator, cabalKey.ToArray(), options ?? new MultifeedOptions());
        set._lockdown = set.Options.Lockdown;
        // Subscribe before listing, so a feed added meanwhile is seen by one or the other (Add dedupes).
        store.FeedAdded += set.OnStoreFeedAdded;
        store.FeedAppended += set.OnFeedAppended; // one store-wide subscription, not one per feed
        store.FeedDownloaded += set.OnFeedDownloaded;
        store.FeedRemoved += set.OnStoreFeedRemoved;
        foreach (var feed in store.List(set.CabalKey)) set.Add(feed, raise: false);
        await set.GetOrCreateLocalFeedAsync(localKeyPair, cancellationToken).ConfigureAwait(false);
        return set;
    }

    public FeedStore Store { get; }

    public Replicator Replicator { get; }

    public MultifeedOptions Options { get; }

    /// <summary>The cabal key: multifeed's encryption key, the root channel of every session.</summary>
    public byte[] CabalKey { get; }

    public string CabalKeyHex { get; }

    /// <summary>discoveryKey(cabal key): what swarms announce, and the root channel's id on the wire.</summary>
    public byte[] DiscoveryKey { get; }

    /// <summary>This user's writer in the cabal.</summary>
    public Feed LocalFeed => Volatile.Read(ref _local) ?? throw new InvalidOperationException("The set has no local writer yet.");

    /// <summary>Every feed of the set, the local writer included, in the order they joined it.</summary>
    public IReadOnlyList<Feed> Feeds { get { lock (_lock) return [.. _ordered]; } }

    public int Count => _byKey.Count;

    /// <summary>The set's feed with this key, if any.</summary>
    public Feed? TryGet(ReadOnlySpan<byte> key) => key.Length == 32 ? TryGet(Convert.ToHexStringLower(key)) : null;

    /// <summary>The set's feed with this lowercase hex key, if any.</summary>
    public Feed? TryGet(string keyHex) => _byKey.TryGetValue(keyHex, out var f) ? f : null;

    public bool Contains(string keyHex) => _byKey.ContainsKey(keyHex);

    /// <summary>
    /// Raised once for each feed that joins the set after opening (a new writer or a feed learnt from
    /// a peer). Runs on the store's writer thread: keep it short.
    /// </summary>
    public event Action<Feed>? FeedAdded;

    /// <summary>Returns the local writer, creating it on first use (multifeed's <c>writer('local')</c>).</summary>
    public async Task<Feed> GetOrCreateLocalFeedAsync(KeyPair? keyPair = null, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _local) is { } existing) return existing;
        await _writerLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_local is { } again) return again;
            var found = Feeds.FirstOrDefault(f => f.Writable && f.Name == Options.LocalWriterName);
            found ??= await Store.CreateWritableAsync(keyPair, Options.LocalWriterName, CabalKey, cancellationToken).ConfigureAwait(false);
            Add(found, raise: true);
            Volatile.Write(ref _local, found);
            return found;
        }
        finally { _writerLock.Release(); }
    }

    private void OnStoreFeedAdded(Feed feed)
    {
        if (feed.Group.Span.SequenceEqual(CabalKey)) Add(feed, raise: true);
    }

    private void Add(Feed feed, bool raise)
    {
        if (!_byKey.TryAdd(feed.KeyHex, feed)) return;
        lock (_lock) _ordered.Add(feed);
        NoteData(feed);
        if (!raise) return;
        try { FeedAdded?.Invoke(feed); }
        catch (Exception e) { MultifeedLog.SessionFailed(_logger, "(FeedAdded handler)", e); }
        foreach (var s in SessionSnapshot()) s.OnFeedAdded(feed);
    }

    private void OnFeedAppended(object? sender, FeedAppendedEventArgs e)
    {
        if (sender is not Feed feed || !_byKey.ContainsKey(feed.KeyHex)) return;
        NoteData(feed);
        foreach (var s in SessionSnapshot()) s.OnFeedGrew(feed);
        SignalSyncProgress(); // blocks stored: a peer may now be in sync
    }

    // A block stored durably that did not make the feed longer (one below its length, stored after a
    // later one): the last block of a sync is often one of those.
    // The event is store-wide: a block of another cabal's feed says nothing about this set's peers.
    private void OnFeedDownloaded(object? sender, FeedDownloadedEventArgs e)
    {
        if (sender is Feed feed && _byKey.ContainsKey(feed.KeyHex)) SignalSyncProgress();
    }

    /// <summary>Ends every session's connection and detaches from the store. The store and replicator stay open.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Store.FeedAdded -= OnStoreFeedAdded;
        Store.FeedAppended -= OnFeedAppended;
        Store.FeedDownloaded -= OnFeedDownloaded;
        Store.FeedRemoved -= OnStoreFeedRemoved;
        foreach (var s in SessionSnapshot()) await s.DisposeAsync().ConfigureAwait(false);
        _writerLock.Dispose();
    }
}
