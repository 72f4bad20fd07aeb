// One LMDB environment per data directory holding every feed (like corestore, without per-feed
// files). Tables: meta, feeds (number → header), keys (public key → number), blocks, nodes, sigs,
// bits (data bitfield pages). Opening the store reads every header in a single read transaction,
// so startup cost is one cursor pass, not a file or transaction per feed.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using Cabal.Net.Crypto;
using LightningDB;
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Storage;

public sealed partial class FeedStore : IAsyncDisposable
{
    private static ReadOnlySpan<byte> NextFeedKey => "next-feed"u8;

    private readonly LightningEnvironment _env;
    private readonly LmdbReadGate _reads = new();
    private ConcurrentDictionary<uint, Feed> _byNumber = new();
    private ConcurrentDictionary<FeedKey, Feed> _byKey = new();
    private readonly ILogger _logger;
    private uint _nextFeed;

    internal LightningDatabase Meta { get; }
    internal LightningDatabase Headers { get; }
    internal LightningDatabase Keys { get; }
    internal LightningDatabase Blocks { get; }
    internal LightningDatabase Nodes { get; }
    internal LightningDatabase Signatures { get; }
    internal LightningDatabase Bits { get; }
    internal ILogger Logger => _logger;

    public string Path { get; }
    public FeedStoreOptions Options { get; }

    /// <summary>
    /// True when the store's tables did not exist at open and were created (a new directory, or a
    /// missing, empty or zero-length <c>data.mdb</c>). Callers that keep records about the store
    /// elsewhere (views) take it as a sign that the store was lost, not as a fresh start.
    /// </summary>
    public bool IsNew { get; }

    /// <summary>Feeds whose header could not be read at open; their records are left as they are.</summary>
    public IReadOnlyList<uint> CorruptFeeds { get; }

    /// <summary>Raised after a feed is created or first stored (on the store's writer thread; keep it short).</summary>
    public event Action<Feed>? FeedAdded;

    /// <summary>
    /// Raised right after any feed's <see cref="Feed.Appended"/>, with the feed as sender and the same
    /// arguments. Why store-wide: one subscription covers every feed, where one per feed (a delegate
    /// each, more when several components listen) is long-lived memory times thousands of feeds.
    /// </summary>
    public event EventHandler<FeedAppendedEventArgs>? FeedAppended;

    /// <summary>Raised right after any feed's <see cref="Feed.Downloaded"/>, with the feed as sender (see <see cref="FeedAppended"/>).</summary>
    public event EventHandler<FeedDownloadedEventArgs>? FeedDownloaded;

    private FeedStore(string path, FeedStoreOptions options)
    {
        Path = path;
        Options = options;
        _logger = options.LoggerFactory.CreateLogger<FeedStore>();
        var sw = Stopwatch.StartNew();
        LmdbNative.EnsureResolver();
        Directory.CreateDirectory(path);
        _env = new LightningEnvironment(path, new EnvironmentConfiguration { MapSize = options.MapSize, MaxDatabases = 16, MaxReaders = 512 });
        var flags = EnvironmentOpenFlags.NoThreadLocalStorage;
        if (!options.Durable) flags |= EnvironmentOpenFlags.NoSync;
        _env.Open(flags);

        // Database handles must be opened in a committed transaction before other transactions use
        // them. A store that has them already needs no write (and no durable commit) to open.
        var dbs = File.Exists(System.IO.Path.Combine(path, "data.mdb")) ? TryOpenDatabases(create: false) : null;
        IsNew = dbs is null;
        dbs ??= TryOpenDatabases(create: true)!;
        (Meta, Headers, Keys, Blocks, Nodes, Signatures, Bits) = (dbs[0], dbs[1], dbs[2], dbs[3], dbs[4], dbs[5], dbs[6]);

        CorruptFeeds = LoadAll();
        var purges = LoadRemovals();
        StorageLog.Opened(_logger, path, _byNumber.Count, sw.Elapsed.TotalMilliseconds);
        _writer = StartWriter();
        ResumePurges(purges);
    }

    private static readonly string[] TableNames = ["meta", "feeds", "keys", "blocks", "nodes", "sigs", "bits"];

    private LightningDatabase[]? TryOpenDatabases(bool create)
    {
        using var tx = _env.BeginTransaction(create ? TransactionBeginFlags.None : TransactionBeginFlags.ReadOnly);
        var config = new DatabaseConfiguration { Flags = create ? DatabaseOpenFlags.Create : DatabaseOpenFlags.None };
        var dbs = new LightningDatabase[TableNames.Length];
        try
        {
            for (var i = 0; i < dbs.Length; i++) dbs[i] = tx.OpenDatabase(TableNames[i], config);
        }
        catch (LightningException) when (!create)
        {
            return null; // an older or half-created store: create the missing tables
        }
        tx.Commit().ThrowOnError();
        return dbs;
    }

    /// <summary>Opens (or creates) the store in <paramref name="directory"/> and loads every feed header.</summary>
    public static FeedStore Open(string directory, FeedStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return new FeedStore(directory, options ?? new FeedStoreOptions());
    }

    /// <summary>Every feed in the store.</summary>
    public IReadOnlyCollection<Feed> Feeds => (IReadOnlyCollection<Feed>)_byNumber.Values;

    /// <summary>The feeds tagged with <paramref name="group"/> (for example one cabal's key).</summary>
    public IEnumerable<Feed> List(ReadOnlyMemory<byte> group)
        => _byNumber.Values.Where(f => f.Group.Span.SequenceEqual(group.Span)).OrderBy(f => f.Number);

    public Feed? TryGet(ReadOnlySpan<byte> publicKey)
        => publicKey.Length == Ed25519.PublicKeySize && _byKey.TryGetValue(new FeedKey(publicKey), out var f) ? f : null;

    private List<uint> LoadAll()
    {
        var corrupt = new List<uint>();
        using var tx = _env.BeginTransaction(TransactionBeginFlags.ReadOnly);
        var (rc, _, next) = tx.Get(Meta, NextFeedKey);
        _nextFeed = rc == MDBResultCode.Success && next.AsSpan().Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(next.AsSpan()) : 1;
        // Sized up front: growing two dictionaries of 10,000 entries costs more than the cursor pass.
        var count = (int)Math.Min(tx.GetEntriesCount(Headers), 1 << 24);
        _byNumber = new ConcurrentDictionary<uint, Feed>(Environment.ProcessorCount, Math.Max(31, count * 2));
        _byKey = new ConcurrentDictionary<FeedKey, Feed>(Environment.ProcessorCount, Math.Max(31, count * 2));
        using var cursor = tx.CreateCursor(Headers);
        for (var r = cursor.First(); r.resultCode == MDBResultCode.Success; r = cursor.Next())
        {
            uint number = 0;
            try
            {
                number = StorageKeys.ReadFeed(r.key.AsSpan());
                var raw = r.value.AsSpan();
                var layout = FeedHeader.Validate(raw);
                Register(new Feed(this, number, raw.ToArray(), layout));
            }
            catch (StorageCorruptException e)
            {
                StorageLog.CorruptHeader(_logger, number, e.Message);
                corrupt.Add(number);
            }
            if (number >= _nextFeed) _nextFeed = number + 1;
        }
        return corrupt;
    }

    private void Register(Feed feed)
    {
        _byNumber[feed.Number] = feed;
        _byKey[new FeedKey(feed.Key)] = feed;
        if (Volatile.Read(ref _byDiscoveryKey) is { } map) map[Convert.ToHexStringLower(feed.DiscoveryKey)] = feed;
    }

    // Built on first use: hashing every key at open would cost ~1 µs per feed for nothing.
    private ConcurrentDictionary<string, Feed>? _byDiscoveryKey;

    /// <summary>The feed whose discovery key is <paramref name="discoveryKey"/>, if the store holds it.</summary>
    public Feed? TryGetByDiscoveryKey(ReadOnlySpan<byte> discoveryKey)
    {
        var map = Volatile.Read(ref _byDiscoveryKey);
        if (map is null)
        {
            lock (_addLock)
            {
                map = _byDiscoveryKey;
                if (map is null)
                {
                    map = new ConcurrentDictionary<string, Feed>(StringComparer.Ordinal);
                    foreach (var f in _byNumber.Values) map[Convert.ToHexStringLower(f.DiscoveryKey)] = f;
                    Volatile.Write(ref _byDiscoveryKey, map);
                }
            }
        }
        return map.TryGetValue(Convert.ToHexStringLower(discoveryKey), out var feed) && !feed.IsRemoved ? feed : null;
    }

    /// <summary>Creates a writable feed with a new (or the given) key pair. Durable when the task completes.</summary>
    public Task<Feed> CreateWritableAsync(KeyPair? keyPair = null, string? name = null, ReadOnlyMemory<byte> group = default, CancellationToken cancellationToken = default)
    {
        keyPair ??= Ed25519.NewKeyPair();
        if (keyPair.SecretKey is null) throw new ArgumentException("A writable feed needs a secret key.", nameof(keyPair));
        return AddAsync(new FeedHeader { PublicKey = keyPair.PublicKey, SecretKey = keyPair.SecretKey, Group = group.ToArray(), Name = name }, cancellationToken);
    }

    /// <summary>Returns the feed with this public key, adding it (empty, read-only) if the store lacks it.</summary>
    public Task<Feed> GetOrAddRemoteAsync(ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> group = default, CancellationToken cancellationToken = default)
    {
        if (publicKey.Length != Ed25519.PublicKeySize)
            throw new ArgumentException($"A feed key is {Ed25519.PublicKeySize} bytes, got {publicKey.Length}.", nameof(publicKey));
        if (TryGet(publicKey.Span) is { } existing) return Task.FromResult(existing);
        return AddAsync(new FeedHeader { PublicKey = publicKey.ToArray(), Group = group.ToArray() }, cancellationToken);
    }

    /// <summary>
    /// Puts a writer back together from a surviving copy of its key pair (for example one kept beside
    /// an older layout's views) when the store lost it or never had its secret: adopts the secret
    /// into the feed already stored under that key, or creates the feed. The feed is recorded as
    /// signed up to at least <paramref name="signedLength"/> blocks, so it refuses appends (they could
    /// fork it) until a re-sync from peers has brought those blocks back. Durable when the task completes.
    /// </summary>
    public async Task<Feed> RestoreWritableAsync(KeyPair keyPair, ulong signedLength, string? name = null, ReadOnlyMemory<byte> group = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyPair);
        if (keyPair.SecretKey is not { Length: Ed25519.SecretKeySize } || !Ed25519.KeyPairFromSeed(keyPair.SecretKey.AsSpan(0, 32)).PublicKey.AsSpan().SequenceEqual(keyPair.PublicKey))
            throw new ArgumentException("The key pair's secret key does not match its public key.", nameof(keyPair));
        var feed = TryGet(keyPair.PublicKey);
        if (feed is not null && !feed.Group.Span.SequenceEqual(group.Span))
            throw new InvalidOperationException($"Feed {feed.KeyHex} is stored for another group.");
        feed ??= await AddAsync(new FeedHeader
        {
            PublicKey = keyPair.PublicKey, SecretKey = keyPair.SecretKey, Group = group.ToArray(), Name = name, SignedLength = signedLength,
        }, cancellationToken).ConfigureAwait(false);
        await feed.AdoptSecretKeyAsync(keyPair, name, cancellationToken).ConfigureAwait(false);
        await feed.RecordSignedLengthAsync(signedLength, cancellationToken).ConfigureAwait(false);
        StorageLog.WriterRestored(_logger, feed.KeyHex, feed.SignedLength);
        return feed;
    }

    private readonly Lock _addLock = new();

    private async Task<Feed> AddAsync(FeedHeader header, CancellationToken ct)
    {
        Feed feed;
        lock (_addLock)
        {
            if (_byKey.TryGetValue(new FeedKey(header.PublicKey), out var existing)) return existing;
            feed = new Feed(this, _nextFeed++, header);
            Register(feed);
        }
        var number = feed.Number;
        var headerBytes = header.Serialize();
        try
        {
            await Enqueue(tx =>
            {
                // Another process on the same store may have taken this number or added this key.
                if (tx.Get(Headers, StorageKeys.Feed(number)).resultCode == MDBResultCode.Success || tx.Get(Keys, header.PublicKey).resultCode == MDBResultCode.Success)
                    throw new ConcurrentWriterException($"Feed #{number} or key {feed.KeyHex} was added by another process using the same data directory; nothing was written. Only one process may write to a data directory at a time.");
                tx.Put(Headers, StorageKeys.Feed(number), headerBytes).ThrowOnError();
                tx.Put(Keys, header.PublicKey, StorageKeys.Feed(number)).ThrowOnError();
                var next = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(next, number + 1);
                tx.Put(Meta, NextFeedKey, next).ThrowOnError();
            }, () => RaiseFeedAdded(feed), ct).ConfigureAwait(false);
        }
        catch
        {
            // Never stored: the store must not list a feed that is not on disk.
            _byNumber.TryRemove(new KeyValuePair<uint, Feed>(number, feed));
            _byKey.TryRemove(new KeyValuePair<FeedKey, Feed>(new FeedKey(feed.Key), feed));
            if (Volatile.Read(ref _byDiscoveryKey) is { } map) map.TryRemove(new KeyValuePair<string, Feed>(Convert.ToHexStringLower(feed.DiscoveryKey), feed));
            feed.MarkRemoved();
            throw;
        }
        return feed;
    }

    private void RaiseFeedAdded(Feed feed)
    {
        try { FeedAdded?.Invoke(feed); }
        catch (Exception e) { StorageLog.HandlerFailed(_logger, e); }
    }

    internal void RaiseFeedAppended(Feed feed, FeedAppendedEventArgs e)
    {
        try { FeedAppended?.Invoke(feed, e); }
        catch (Exception ex) { StorageLog.HandlerFailed(_logger, ex); }
    }

    internal void RaiseFeedDownloaded(Feed feed, FeedDownloadedEventArgs e)
    {
        try { FeedDownloaded?.Invoke(feed, e); }
        catch (Exception ex) { StorageLog.HandlerFailed(_logger, ex); }
    }

    /// <summary>Runs <paramref name="read"/> inside a read-only transaction.</summary>
    internal T Read<T>(Func<LightningTransaction, T> read)
    {
        using var gated = _reads.BeginRead(_env, this);
        return read(gated.Transaction);
    }

    /// <summary>A copy of the value stored under <paramref name="key"/> in <paramref name="db"/>, or null.</summary>
    internal byte[]? ReadValue(LightningDatabase db, ReadOnlySpan<byte> key)
    {
        // The hot read of replication and indexing (blocks, nodes, signatures): no closure per call.
        using var gated = _reads.BeginRead(_env, this);
        var (rc, _, value) = gated.Transaction.Get(db, key);
        return rc == MDBResultCode.Success ? value.CopyToNewArray() : null;
    }

    public async ValueTask DisposeAsync()
    {
        StopPurges();
        await StopWriterAsync().ConfigureAwait(false);
        if (_reads.Close(LmdbReadGate.DefaultDrainLimit)) _env.Dispose();
        else StorageLog.ReadsOutlivedClose(_logger, Path);
    }
}

public sealed partial class FeedStore
{
    internal int CountEntriesForTests(LightningDatabase db) => Read(tx => (int)tx.GetEntriesCount(db));
}
