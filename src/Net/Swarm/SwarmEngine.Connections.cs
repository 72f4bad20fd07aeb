// Connections: the dial queue and its limits (index.js:178-186, :285-308), one connection per remote
// key with hyperswarm's duplicate rule (index.js:346-373), and retries after a close (index.js:251-267,
// lib/retry-timer.js).
using Cabal.Net.Compact;

namespace Cabal.Net.Swarm;

public sealed partial class SwarmEngine
{
    private readonly Dictionary<Key32, SwarmPeer> _peers = [];
    private readonly List<SwarmPeer> _queue = [];
    private readonly Dictionary<long, Connection> _connections = [];
    private readonly Dictionary<Key32, Connection> _byKey = [];
    private readonly Dictionary<SwarmPeer, long> _retryAt = [];
    private readonly RetrySchedule _retries;
    private long _nextId;
    private int _connecting;

    private sealed class Connection(long id, SwarmPeer peer, bool isInitiator)
    {
        public long Id { get; } = id;
        public SwarmPeer Peer { get; } = peer;
        public bool IsInitiator { get; } = isInitiator;
        public bool Opened { get; set; }
    }

    /// <summary>Connections counted against MaxPeers (open or being dialled), one per remote key.</summary>
    public int ConnectionCount { get { lock (_gate) return _byKey.Count; } }

    private long _droppedPeers;

    /// <summary>Peers known (found, queued, connecting or connected), at most SwarmOptions.MaxKnownPeers.</summary>
    public int KnownPeers { get { lock (_gate) return _peers.Count; } }

    /// <summary>Peers found while MaxKnownPeers were already known, and so dropped.</summary>
    public long DroppedPeers { get { lock (_gate) return _droppedPeers; } }

    /// <summary>Dials in flight.</summary>
    public int Connecting { get { lock (_gate) return _connecting; } }

    /// <summary>Peers waiting in the dial queue.</summary>
    public int Queued { get { lock (_gate) return _queue.Count; } }

    /// <summary>Whether a connection (open or being dialled) to this key is held.</summary>
    public bool IsConnectedTo(Key32 publicKey)
    {
        lock (_gate) return _byKey.ContainsKey(publicKey);
    }

    /// <summary>
    /// A server (incoming) connection from <paramref name="remoteKey"/> arrived. Returns its id, or null when
    /// the driver must destroy it (our own key, or the duplicate rule keeps the existing connection).
    /// When the new one wins, a CloseAction for the old one is queued.
    /// </summary>
    public long? IncomingConnection(Key32 remoteKey)
    {
        lock (_gate)
        {
            if (remoteKey == _publicKey) return null;
            if (_byKey.TryGetValue(remoteKey, out var existing))
            {
                // hyperswarm index.js:360-362 (_handleServerConnection). The new connection is a server one, so
                // conn.isInitiator is false and conn.publicKey is ours: it is kept when the existing one has
                // already carried data both ways (the peer lost it and reconnected), or when our key is NOT the
                // larger — i.e. the peer with the larger key is the expected initiator, and its dial survives.
                var existingIsOutdated = _hasExchangedData(existing.Id);
                var weAreExpectedInitiator = _publicKeyBytes.AsSpan().SequenceCompareTo(remoteKey.ToArray()) > 0;
                var keepNew = existingIsOutdated || weAreExpectedInitiator == false;
                if (!keepNew)
                {
                    // index.js:364-368: keep-alive on the kept one, destroy the newcomer.
                    _actions.Add(new KeepAliveAction(existing.Id));
                    SwarmLog.Duplicate(_log, remoteKey, "existing");
                    return null;
                }
                // index.js:371-373: destroy the existing one; the new one takes its place.
                _byKey.Remove(remoteKey);
                _actions.Add(new CloseAction(existing.Id, "Duplicate connection"));
                SwarmLog.Duplicate(_log, remoteKey, "new");
            }
            var peer = Upsert(remoteKey, null);
            peer.Client = false;
            var conn = new Connection(++_nextId, peer, isInitiator: false) { Opened = true };
            _connections[conn.Id] = conn;
            _byKey[remoteKey] = conn;
            return conn.Id;
        }
    }

    /// <summary>A dial succeeded. False when the connection is no longer wanted (the driver destroys it).</summary>
    public bool DialOpened(long connectionId)
    {
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var conn) || conn.Opened) return false;
            // Replaced by an incoming duplicate meanwhile: its CloseAction is queued; ConnectionClosed counts it.
            if (!_byKey.TryGetValue(conn.Peer.PublicKey, out var current) || current != conn) return false;
            conn.Opened = true;
            _connecting--;
            conn.Peer.Connected(NowMs);
            conn.Peer.Client = true;
            AttemptDials();
            return true;
        }
    }

    /// <summary>A connection closed, or a dial failed. Outgoing ones are retried with backoff while a topic of the peer is joined.</summary>
    public void ConnectionClosed(long connectionId)
    {
        lock (_gate)
        {
            if (!_connections.Remove(connectionId, out var conn)) return;
            var peer = conn.Peer;
            if (_byKey.TryGetValue(peer.PublicKey, out var current) && current == conn) _byKey.Remove(peer.PublicKey);
            if (conn.IsInitiator)
            {
                if (!conn.Opened) _connecting--;
                var now = NowMs;
                peer.Disconnected(now, (long)_options.MinConnectionTime.TotalMilliseconds);
                // index.js:264: requeue only while a topic of the peer is joined.
                var due = ShouldRequeue(peer) ? _retries.DueAt(peer, now) : null;
                peer.Waiting = due is not null;
                if (due is { } at)
                {
                    _retryAt[peer] = at;
                    SwarmLog.RetryScheduled(_log, peer.PublicKey, at - now, peer.Attempts);
                }
                else if (peer.Attempts > 3) SwarmLog.GaveUp(_log, peer.PublicKey, peer.Attempts);
            }
            MaybeForget(peer);
            AttemptDials();
        }
    }

    private SwarmPeer Upsert(Key32 publicKey, IReadOnlyList<Ipv4EndPoint>? relayAddresses)
    {
        if (!_peers.TryGetValue(publicKey, out var peer)) _peers[publicKey] = peer = new SwarmPeer(publicKey);
        if (relayAddresses is not null) peer.RelayAddresses = relayAddresses;
        return peer;
    }

    private bool ShouldRequeue(SwarmPeer peer) => peer.Topics.Any(_topics.ContainsKey);

    // index.js:432-440 with peer-info.js:113-115.
    private void MaybeForget(SwarmPeer peer)
    {
        if (peer.Queued || peer.Waiting || _byKey.ContainsKey(peer.PublicKey)) return;
        if (_connections.Values.Any(c => c.Peer == peer)) return;
        _peers.Remove(peer.PublicKey);
    }

    private void Enqueue(SwarmPeer peer)
    {
        peer.Queued = true;
        _queue.Add(peer);
    }

    // index.js:122-140 (_requeue), entry by entry as each falls due.
    private void RunDueRetries(long now)
    {
        foreach (var (peer, at) in _retryAt.ToList())
        {
            if (at > now) continue;
            _retryAt.Remove(peer);
            peer.Waiting = false;
            if (!peer.UpdatePriority() || _byKey.ContainsKey(peer.PublicKey) || peer.Queued)
            {
                MaybeForget(peer);
                continue;
            }
            Enqueue(peer);
        }
    }

    // index.js:178-186 and :301-307: dial while under MaxParallel attempts and MaxPeers connections.
    private void AttemptDials()
    {
        while (_queue.Count > 0 && _connecting < _options.MaxParallel && _byKey.Count < _options.MaxPeers)
        {
            var peer = PopHighestPriority();
            if (_byKey.ContainsKey(peer.PublicKey))
            {
                MaybeForget(peer);
                continue;
            }
            var conn = new Connection(++_nextId, peer, isInitiator: true);
            _connections[conn.Id] = conn;
            _byKey[peer.PublicKey] = conn;
            _connecting++;
            SwarmLog.Dialling(_log, peer.PublicKey, peer.Attempts);
            _actions.Add(new DialAction(conn.Id, peer.PublicKey, peer.RelayAddresses));
        }
    }

    // shuffled-priority-queue: the highest priority, at random among equals.
    private SwarmPeer PopHighestPriority()
    {
        var best = _queue.Max(p => p.Priority);
        var candidates = _queue.Where(p => p.Priority == best).ToList();
        var peer = candidates[_random.Next(candidates.Count)];
        _queue.Remove(peer);
        peer.Queued = false;
        return peer;
    }
}
