// Keeping the in-memory feed true to the disk, and a writer true to what it has signed.
//
// Rollback: a write that fails (disk full, I/O error) leaves the durable state as the last commit
// wrote it. The store calls RollBack with the failed write's epoch: the overlay, the queued appends
// and downloads and the bitfield built on them are dropped, and the working state is reset to the
// durable one. The epoch moves on, so writes of this feed queued before the failure (built on the
// lost state) fail too instead of committing a header that claims blocks which never reached disk.
// Replication then asks peers for those blocks again (FeedPeer.AfterStored).
//
// Signed-length evidence: a writer must not append while it lacks blocks it has signed. Evidence
// comes from the views (a cursor past our length), from a store the identity was restored into,
// and from peers that announce more of our log than we hold (an in-memory claim, withdrawn when
// that peer's channel closes, so a lying peer blocks appends only while it is connected).
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using LightningDB;

namespace Cabal.Multifeed;

public sealed partial class Feed
{
    private int _pendingDownloads;          // under _lock: downloaded blocks queued for commit
    private Dictionary<object, ulong>? _claims; // under _lock: peers' announced lengths of our own feed, when longer

    /// <summary>The current epoch: what a write built now carries.</summary>
    internal int Epoch => Volatile.Read(ref _epoch);

    /// <summary>Whether a write built at <paramref name="epoch"/> may still commit (called on the store's writer thread).</summary>
    internal bool IsCurrentEpoch(int epoch) => Volatile.Read(ref _epoch) == epoch;

    /// <summary>
    /// A write built at <paramref name="epoch"/> failed (or the store refused to queue it): drop every
    /// queued change and return to the durable state. On the store's writer thread this runs before
    /// anything of the failed write's transaction commits, so the durable state in memory is exactly
    /// what is on disk.
    /// </summary>
    internal void RollBack(int epoch)
    {
        lock (_lock)
        {
            if (_epoch != epoch) return; // already rolled back for an earlier write of the same state
            _epoch++;
            if (_states is not { } states) return; // never parsed: nothing in memory beyond the header
            states.Working = states.Durable.Clone();
            _pending = null;
            _generator = null;
            _dataBits = null; // rebuilt from the stored pages and the durable contiguous count
            _pendingDownloads = 0;
        }
        StorageLog.RolledBack(_store.Logger, KeyHex, Length);
    }

    /// <summary>
    /// Records that this feed is known to have been signed up to <paramref name="length"/> blocks
    /// (evidence from outside the store, such as the views' cursor). Never lowers it. A writer
    /// shorter than that refuses appends until a re-sync has brought it back. Durable when the task completes.
    /// </summary>
    public Task RecordSignedLengthAsync(ulong length, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ThrowIfRemoved();
            if (length <= S.SignedLength) return Task.CompletedTask;
            StorageLog.SignedLengthRaised(_store.Logger, KeyHex, S.SignedLength, length, S.Length);
            return WriteHeaderLocked(s => s.SignedLength = Math.Max(s.SignedLength, length), cancellationToken);
        }
    }

    /// <summary>Stores <paramref name="keyPair"/>'s secret key in this feed's header (and a name if it has none). Durable when the task completes.</summary>
    internal Task AdoptSecretKeyAsync(KeyPair keyPair, string? name, CancellationToken cancellationToken)
    {
        if (keyPair.SecretKey is not { Length: Ed25519.SecretKeySize } sk || !keyPair.PublicKey.AsSpan().SequenceEqual(Key))
            throw new ArgumentException("The key pair is not this feed's.", nameof(keyPair));
        lock (_lock)
        {
            ThrowIfRemoved();
            if (S.SecretKey is not null && (name is null || S.Name == name)) return Task.CompletedTask;
            var secret = sk.ToArray();
            return WriteHeaderLocked(s => { s.SecretKey = secret; s.Name ??= name; }, cancellationToken);
        }
    }

    /// <summary>
    /// Inside a write: checks that the stored header still says <paramref name="expected"/> blocks.
    /// LMDB lets several processes open one store and serialises their writes, so a second process
    /// on the same data directory shows up here as a header this one did not write. Then nothing is
    /// written (which would put a second block N beside one already published): the feed is
    /// reloaded from the store and the write fails with <see cref="ConcurrentWriterException"/>.
    /// </summary>
    private void CheckStoredLength(LightningTransaction tx, ulong expected)
    {
        var (rc, _, value) = tx.Get(_store.Headers, StorageKeys.Feed(Number));
        if (rc != MDBResultCode.Success) throw ConcurrentWriterException.ForFeed(KeyHex, expected, 0);
        var stored = FeedHeader.ReadLength(value.AsSpan());
        if (stored == expected) return;
        ReloadFrom(FeedHeader.Parse(value.AsSpan()));
        throw ConcurrentWriterException.ForFeed(KeyHex, expected, stored);
    }

    // The feed as another process left it: every queued change is dropped, as in a rollback.
    private void ReloadFrom(FeedHeader header)
    {
        lock (_lock)
        {
            _epoch++;
            var durable = FeedState.From(header);
            if (_states is { } states)
            {
                states.Durable = durable;
                states.Working = durable.Clone();
            }
            else _states = new FeedStates(durable);
            _pending = null;
            _generator = null;
            _dataBits = null;
            _pendingDownloads = 0;
        }
    }

    // Rewrites the header with a change that is not about blocks; applied to both states at commit.
    private Task WriteHeaderLocked(Action<FeedState> change, CancellationToken ct)
    {
        var next = S.Clone();
        change(next);
        var header = new FeedHeader
        {
            PublicKey = Key, SecretKey = next.SecretKey, Length = next.Length, ByteLength = next.ByteLength, Contiguous = next.Contiguous,
            SignedLength = next.SignedLength, Signature = next.Signature, Roots = next.Roots, Group = Group.ToArray(), Name = next.Name,
        }.Serialize();
        return _store.Enqueue(this, _epoch, tx =>
        {
            CheckStoredLength(tx, next.Length);
            tx.Put(_store.Headers, StorageKeys.Feed(Number), header).ThrowOnError();
        }, () =>
        {
            lock (_lock)
            {
                change(S);
                change(D);
            }
        }, ct);
    }

    /// <summary>
    /// A peer announced <paramref name="remoteLength"/> blocks of this writer's own feed, more than we
    /// hold: until its blocks have been downloaded (or that peer leaves), appending would fork.
    /// </summary>
    internal void SetPeerClaim(object peer, ulong remoteLength)
    {
        lock (_lock)
        {
            if (D.SecretKey is null || remoteLength <= D.Contiguous) return;
            _claims ??= new Dictionary<object, ulong>(ReferenceEqualityComparer.Instance);
            if (_claims.TryGetValue(peer, out var old) && old >= remoteLength) return;
            _claims[peer] = remoteLength;
        }
        StorageLog.PeerHoldsMore(_store.Logger, KeyHex, remoteLength, Contiguous);
    }

    /// <summary>Withdraws a peer's claim (its channel closed, or we caught up with it).</summary>
    internal void ClearPeerClaim(object peer)
    {
        lock (_lock)
        {
            if (_claims is null || !_claims.Remove(peer)) return;
            if (_claims.Count == 0) _claims = null;
        }
    }

    // Claims we have caught up with no longer block anything. Call under _lock after durable growth.
    private void DropSatisfiedClaimsLocked()
    {
        if (_claims is null) return;
        foreach (var (peer, length) in _claims.ToArray())
            if (length <= D.Contiguous) _claims.Remove(peer);
        if (_claims.Count == 0) _claims = null;
    }
}
