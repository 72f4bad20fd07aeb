// Per-feed replication state shared by every connection: which peers replicate the feed, which
// blocks are reserved (requested from some peer, so two peers are never asked for the same block),
// which peers are barred from the feed after a fault, and acknowledgements with their waiters.
// Why every collection but the peer list is made on first use: a big cabal has a hub for each of
// 10,000+ feeds, and nearly all of them never hold a reservation, a barred peer, an ack or a waiter
// once synced (see SparseBitfield on why long-lived per-feed memory matters).
using Cabal.Multifeed.Hypercore;

namespace Cabal.Multifeed.Replication;

public sealed class FeedHub
{
    private readonly Lock _lock = new();
    private readonly List<FeedPeer> _peers = [];
    private HashSet<ulong>? _reserved;                 // null while nothing is reserved
    private HashSet<string>? _barred;
    private Dictionary<string, SparseBitfield>? _acks;
    private List<AckWaiter>? _waiters;

    internal FeedHub(Feed feed) => Feed = feed; // appends arrive through Replicator (one store-wide subscription)

    public Feed Feed { get; }

    /// <summary>Raised when a peer acknowledges a block of ours: (remote id, block index).</summary>
    public event Action<string, ulong>? AckReceived;

    /// <summary>Peers that currently replicate this feed.</summary>
    public IReadOnlyList<string> PeerIds { get { lock (_lock) return _peers.Select(p => p.RemoteId).ToList(); } }

    internal FeedPeer[] Peers { get { lock (_lock) return [.. _peers]; } }

    /// <summary>The longest length any connected peer has announced for this feed.</summary>
    public ulong RemoteLength
    {
        get
        {
            FeedPeer[] peers;
            lock (_lock) peers = [.. _peers];
            return peers.Length == 0 ? 0 : peers.Max(p => p.RemoteLength);
        }
    }

    public bool IsBarred(string remoteId) { lock (_lock) return _barred?.Contains(remoteId) == true; }

    internal void Add(FeedPeer peer) { lock (_lock) _peers.Add(peer); }

    internal void Remove(FeedPeer peer)
    {
        lock (_lock)
        {
            _peers.Remove(peer);
            foreach (var i in peer.InflightIndices) UnreserveLocked(i);
        }
    }

    internal void Bar(string remoteId) { lock (_lock) (_barred ??= new(StringComparer.Ordinal)).Add(remoteId); }

    internal bool TryReserve(ulong index) { lock (_lock) return (_reserved ??= []).Add(index); }

    internal void Unreserve(ulong index) { lock (_lock) UnreserveLocked(index); }

    private void UnreserveLocked(ulong index)
    {
        if (_reserved is null || !_reserved.Remove(index)) return;
        if (_reserved.Count == 0) _reserved = null;
    }

    /// <summary>Tells every peer but <paramref name="except"/> that asked for updates about a block we now hold.</summary>
    internal void AnnounceDownloaded(ulong index, FeedPeer? except)
    {
        // Called for every downloaded block; nearly always the only peer is the one that served it.
        FeedPeer[] peers;
        lock (_lock)
        {
            if (_peers.Count == 0 || (_peers.Count == 1 && _peers[0] == except)) return;
            peers = [.. _peers];
        }
        foreach (var p in peers)
            if (p != except) p.AnnounceHave(index, 1);
    }

    internal void OnAppended(FeedAppendedEventArgs e)
    {
        // Remote feeds (and a writer being re-synced) grow by downloads, announced block by block instead.
        if (!e.Local) return;
        FeedPeer[] peers;
        lock (_lock) peers = [.. _peers];
        foreach (var p in peers) p.AnnounceHave(e.Start, e.Count);
    }

    internal void RecordAck(string remoteId, ulong index)
    {
        List<AckWaiter> done = [];
        lock (_lock)
        {
            _acks ??= new(StringComparer.Ordinal);
            if (!_acks.TryGetValue(remoteId, out var bits)) _acks[remoteId] = bits = new SparseBitfield();
            if (!bits.Set(index, true)) return;
            if (_waiters is not null)
            {
                foreach (var w in _waiters) if (w.IsSatisfied(this)) done.Add(w);
                foreach (var w in done) _waiters.Remove(w);
            }
        }
        foreach (var w in done) w.Completion.TrySetResult();
        AckReceived?.Invoke(remoteId, index);
    }

    /// <summary>Whether <paramref name="remoteId"/> acknowledged block <paramref name="index"/>.</summary>
    public bool HasAcked(string remoteId, ulong index) { lock (_lock) return HasAckedLocked(remoteId, index); }

    private bool HasAckedLocked(string remoteId, ulong index) => _acks is not null && _acks.TryGetValue(remoteId, out var b) && b.Get(index);

    private int AckCountLocked(ulong index) => _acks?.Values.Count(b => b.Get(index)) ?? 0;

    /// <summary>Distinct peers that acknowledged block <paramref name="index"/>.</summary>
    public int AckCount(ulong index) { lock (_lock) return AckCountLocked(index); }

    /// <summary>Completes when peer <paramref name="remoteId"/> has acknowledged block <paramref name="index"/>.</summary>
    public Task WaitForAckAsync(string remoteId, ulong index, CancellationToken cancellationToken = default)
        => Wait(new AckWaiter(w => w.HasAckedLocked(remoteId, index)), cancellationToken);

    /// <summary>Completes when <paramref name="count"/> distinct peers have acknowledged block <paramref name="index"/>.</summary>
    public Task WaitForAckCountAsync(ulong index, int count, CancellationToken cancellationToken = default)
        => Wait(new AckWaiter(w => w.AckCountLocked(index) >= count), cancellationToken);

    /// <summary>
    /// Completes when every peer connected at the time of each check has acknowledged blocks
    /// 0..<paramref name="index"/> (and at least one peer is connected).
    /// </summary>
    public Task WaitForAllPeersAsync(ulong index, CancellationToken cancellationToken = default)
        => Wait(new AckWaiter(w => w._peers.Count > 0 && w._acks is { } acks && w._peers.All(p =>
            acks.TryGetValue(p.RemoteId, out var b) && (b.NextClear(0) ?? b.Length) > index)), cancellationToken);

    private Task Wait(AckWaiter waiter, CancellationToken ct)
    {
        lock (_lock)
        {
            if (waiter.IsSatisfied(this)) return Task.CompletedTask;
            (_waiters ??= []).Add(waiter);
        }
        if (ct.CanBeCanceled)
        {
            var reg = ct.Register(() =>
            {
                lock (_lock) _waiters?.Remove(waiter);
                waiter.Completion.TrySetCanceled(ct);
            });
            waiter.Completion.Task.ContinueWith(_ => reg.Dispose(), TaskScheduler.Default);
        }
        return waiter.Completion.Task;
    }

    /// <summary>Re-checks waiters whose condition depends on the set of peers.</summary>
    internal void RecheckWaiters()
    {
        List<AckWaiter> done;
        lock (_lock)
        {
            if (_waiters is not { Count: > 0 }) return;
            done = _waiters.Where(w => w.IsSatisfied(this)).ToList();
            foreach (var w in done) _waiters.Remove(w);
        }
        foreach (var w in done) w.Completion.TrySetResult();
    }

    private sealed class AckWaiter(Func<FeedHub, bool> condition)
    {
        public readonly TaskCompletionSource Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool IsSatisfied(FeedHub hub) => condition(hub);
    }
}
