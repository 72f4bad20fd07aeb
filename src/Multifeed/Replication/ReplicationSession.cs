// Replicates a set of feeds over one connection, as hypercore's feed.replicate(stream) does for
// each feed: one channel per feed, each driven by its own FeedPeer. Feeds the remote opens are
// accepted when the store holds them (or when the acceptance policy says so).
using Cabal.Net;
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Replication;

public sealed class ReplicationSession : IAsyncDisposable
{
    private readonly Replicator _replicator;
    private readonly ReplicationOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FeedPeer> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FeedProbe> _probes = new(StringComparer.Ordinal);
    private bool _disposed;
    private int _remoteOpened;

    /// <param name="acceptRemoteFeeds">When the remote opens a feed we have not: true to open it if the store holds it.</param>
    public ReplicationSession(Replicator replicator, ProtocolConnection connection, ReplicationOptions? options = null, bool acceptRemoteFeeds = true)
    {
        _replicator = replicator;
        Connection = connection;
        _options = options ?? replicator.Options;
        Budget = new RequestBudget(_options.MaxInflightPerConnection, _options.MaxRemoteClaimBytesPerConnection);
        _logger = _options.LoggerFactory.CreateLogger<ReplicationSession>();
        if (acceptRemoteFeeds) connection.DiscoveryKey += OnRemoteDiscoveryKey;
    }

    public ProtocolConnection Connection { get; }

    /// <summary>Block requests in flight on this connection across all feeds (ReplicationOptions.MaxInflightPerConnection).</summary>
    public RequestBudget Budget { get; }

    /// <summary>Feed channels of this session that both sides have opened (each counted once, when its peer started).</summary>
    public int RemoteOpenedCount => Volatile.Read(ref _remoteOpened);

    internal void OnRemoteOpened() => Interlocked.Increment(ref _remoteOpened);

    /// <summary>
    /// Called on the connection's read loop after each event of a feed channel (opened, a message, closed),
    /// once the feed's state machine has handled it: the owner's wait for sync looks again at once
    /// instead of at its next poll. Must be cheap and must not block.
    /// </summary>
    internal Action? Progress { get; set; }

    internal void NoteProgress() => Progress?.Invoke();

    /// <summary>The state machines of the feeds replicated on this connection.</summary>
    public IReadOnlyList<FeedPeer> Peers { get { lock (_lock) return [.. _peers.Values]; } }

    public FeedPeer? PeerFor(Feed feed) { lock (_lock) return _peers.GetValueOrDefault(feed.KeyHex); }

    /// <summary>The probes of feeds not stored yet (see <see cref="FeedProbe"/>), adopted ones excluded.</summary>
    public IReadOnlyList<FeedProbe> Probes { get { lock (_lock) return [.. _probes.Values]; } }

    /// <summary>
    /// Opens a channel for a feed this store does not hold and watches it for data (see
    /// <see cref="FeedProbe"/>); <paramref name="onData"/> fires on the connection's read loop when the
    /// remote shows a block. A later <see cref="Replicate"/> of the feed adopts the channel. A second
    /// call for the same key returns the first probe.
    /// </summary>
    public FeedProbe Probe(ReadOnlySpan<byte> key, Action<FeedProbe> onData)
    {
        var hex = Convert.ToHexStringLower(key);
        FeedProbe probe;
        lock (_lock)
        {
            if (_probes.TryGetValue(hex, out var existing)) return existing;
            probe = new FeedProbe(Connection.OpenChannel(key), hex, onData, NoteProgress);
            _probes[hex] = probe;
        }
        probe.Channel.Attach(probe);
        return probe;
    }

    /// <summary>Opens a channel for <paramref name="feed"/> and replicates it; a second call for the same feed is a no-op.</summary>
    public FeedPeer Replicate(Feed feed)
    {
        FeedPeer peer;
        ProtocolFeedChannel adapter;
        FeedProbe? probe;
        lock (_lock)
        {
            if (_peers.TryGetValue(feed.KeyHex, out var existing) && !existing.IsClosed) return existing;
            // A probed feed keeps its channel: reopening it would look like a second Open to the remote.
            if (_probes.Remove(feed.KeyHex, out probe) && probe.IsClosed) probe = null;
            adapter = new ProtocolFeedChannel(probe?.Channel ?? Connection.OpenChannel(feed.Key), this, _logger);
            peer = _replicator.Attach(feed, adapter, _options, Budget);
            _peers[feed.KeyHex] = peer;
        }
        // Outside the lock: if the remote has opened already, binding starts the peer right here.
        if (probe is not null) adapter.BindThrough(peer, probe);
        else adapter.Bind(peer);
        if (Volatile.Read(ref _disposed)) peer.OnClosed(); // raced with DisposeAsync: let go at once
        return peer;
    }

    /// <summary>
    /// Stops replicating <paramref name="feed"/> on this connection: its channel closes (nothing more
    /// is uploaded or downloaded) and its peer is released. False if it was not replicated here.
    /// </summary>
    public bool Stop(Feed feed, string reason)
    {
        FeedPeer? peer;
        lock (_lock)
        {
            if (!_peers.Remove(feed.KeyHex, out peer)) return false;
        }
        peer.Stop(reason);
        return true;
    }

    private void OnRemoteDiscoveryKey(object? sender, DiscoveryKeyEventArgs e)
    {
        var feed = _replicator.Store.TryGetByDiscoveryKey(e.DiscoveryKey);
        if (feed is null) return; // JS leaves unknown feeds unanswered too
        if (_replicator.Hub(feed).IsBarred(RemoteIdHex)) { Connection.RejectChannel(e.DiscoveryKey); return; }
        Replicate(feed);
    }

    private string RemoteIdHex => Connection.RemoteStaticKey is { } k ? Convert.ToHexStringLower(k.Span) : "unknown";

    public ValueTask DisposeAsync()
    {
        Connection.DiscoveryKey -= OnRemoteDiscoveryKey;
        FeedPeer[] peers;
        lock (_lock)
        {
            _disposed = true;
            peers = [.. _peers.Values];
            _probes.Clear();
        }
        // The channels stay open (the connection is the caller's); the peers let go of them.
        foreach (var peer in peers) peer.OnClosed();
        return ValueTask.CompletedTask;
    }
}
