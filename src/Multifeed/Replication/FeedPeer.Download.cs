// Downloader side: Wants, tracking what the remote has from its Haves, choosing Requests with a
// bounded number in flight, and verifying Data before anything is stored (spec §9.4, §9.5, §9.8).
//
// A writer sends its Want too: the Have that answers it says how much of our own log the peer
// holds. Normally that is no more than we do; if it is more, this store lost signed blocks, so
// appends are held back (Feed.SetPeerClaim) and the blocks are downloaded, verified against our key.
//
// A block counts as fetched only once it is durable: until then its bit stays set in _remoteBits,
// and if its commit fails (a full disk) it is requested again, from the 1 s tick on.
using System.Diagnostics;
using Cabal.Multifeed.Hypercore;
using Cabal.Net.Protocol.Messages;

namespace Cabal.Multifeed.Replication;

public sealed partial class FeedPeer
{
    private const int MaxWants = 16;
    /// <summary>Largest bitfield we decode from one Have: 2^20 blocks, the Want range, as bytes.</summary>
    private const int MaxHaveBitfieldBytes = (int)(WantRange / 8);

    // We never Want past MaxWants ranges, so claims beyond are not recorded bit by bit (only as the
    // remote's length): Haves scattered over far-off blocks would otherwise allocate a bitfield page
    // each (issue 20, Have floods). The remote's bits then take at most 2,048 pages (2 MiB) per feed.
    private const ulong MaxWantedBlocks = WantRange * MaxWants;

    private bool _downloading;
    private readonly RequestBudget? _budget;
    private bool _remoteUploading = true;
    private bool _remoteDownloading = true;
    private bool _compat;
    private ulong _remoteLength;
    private ulong _selectFrom;
    private readonly SparseBitfield _remoteBits = new(); // blocks the remote has and we lacked (durably) when told
    private long _claimsCharged; // _remoteBits' bytes charged to the connection's budget (given back on close)
    private bool _remoteLengthKnown; // its Have bitfield (the reply to our Want) or a Status saying it does not upload arrived
    private int _wantsSent; // Want ranges 0.._wantsSent-1 have been sent (always a prefix)
    // Block → Stopwatch timestamp of its request; null while nothing is in flight, which is how
    // nearly all of a big cabal's feeds sit once synced (see SparseBitfield on why that matters).
    private Dictionary<ulong, long>? _inflight;

    private int InflightCount => _inflight?.Count ?? 0;

    internal IReadOnlyCollection<ulong> InflightIndices { get { lock (_gate) return _inflight?.Keys.ToArray() ?? []; } }

    private int _waitingForBudget;

    internal bool MarkWaitingForBudget() => Interlocked.Exchange(ref _waitingForBudget, 1) == 0;

    internal void ClearWaitingForBudget() => Volatile.Write(ref _waitingForBudget, 0);

    /// <summary>Called by the connection's request budget when a slot frees up.</summary>
    internal void Wake()
    {
        if (!IsClosed) Update();
    }

    /// <summary>The remote's length as far as its Haves told us.</summary>
    public ulong RemoteLength { get { lock (_gate) return _remoteLength; } }

    /// <summary>
    /// Where this feed stands with this peer, from protocol facts only: whether the channel is open
    /// both ways, whether the remote has told us what it holds (the Have answering our Want, or a
    /// Status saying it does not upload), and whether it holds a block we lack durably.
    /// </summary>
    public FeedSyncState SyncState()
    {
        lock (_gate)
        {
            var known = _remoteLengthKnown || !_downloading;
            return new FeedSyncState(_started, known, _started && HasMissingLocked(), _closed, _remoteLength);
        }
    }

    // Whether the remote holds a block we do not hold durably. Bits of blocks stored meanwhile (from
    // any peer) are cleared on the way, so repeated checks cost only what is really missing.
    private bool HasMissingLocked()
    {
        if (!_downloading || !_remoteUploading) return false;
        if (_inflight is not null) return true;
        for (var next = _remoteBits.NextSet(0, _remoteLength); next is { } i; next = _remoteBits.NextSet(i + 1, _remoteLength))
        {
            if (!_feed.HasDurable(i)) return true;
            _remoteBits.Set(i, false);
        }
        return false;
    }

    private void SendWantsLocked()
    {
        if (!_downloading || !_remoteUploading || _compat) return;
        // Always the first range; further ranges once the remote is known to reach into them.
        for (var range = (ulong)_wantsSent; _wantsSent < MaxWants && (range == 0 || range * WantRange < _remoteLength); range++)
        {
            _channel.Send(new Want { Start = range * WantRange, Length = WantRange });
            _wantsSent++;
        }
    }

    private void OnHave(Have h)
    {
        if (h.Start > TreeIndex.MaxBlockIndex) { Fault($"the remote sent a Have for block {h.Start}"); return; }
        if (h.Ack && !h.HasBitfield)
        {
            // An acknowledgement of a block we sent, when we asked for acks (§9.9).
            if (_options.Ack && _feed.Has(h.Start)) { _hub.RecordAck(RemoteId, h.Start); return; }
        }
        ulong remoteLength;
        var overClaims = false;
        lock (_gate)
        {
            var claimsBefore = _remoteBits.AllocatedBytes;
            if (h.HasBitfield)
            {
                if (h.Length is 0 or 1) _compat = true;
                byte[] decoded = [];
                if (h.Start % 8 != 0) FaultLater("a Have bitfield that does not start on a byte boundary");
                else
                {
                    try { decoded = BitfieldRle.Decode(h.Bitfield.Span, MaxHaveBitfieldBytes, align: 4); }
                    catch (InvalidBitfieldException e) { FaultLater("an undecodable Have bitfield: " + e.Message); }
                }
                for (var b = 0; b < decoded.Length; b++)
                {
                    if (decoded[b] == 0) continue;
                    for (var bit = 0; bit < 8; bit++)
                    {
                        if ((decoded[b] & (0x80 >> bit)) == 0) continue;
                        var index = h.Start + (ulong)b * 8 + (ulong)bit;
                        if (index < MaxWantedBlocks && !_feed.HasDurable(index)) _remoteBits.Set(index, true);
                        if (index + 1 > _remoteLength) _remoteLength = index + 1;
                    }
                }
            }
            else
            {
                var length = h.HasLength ? h.Length : 1;
                if (length > WantRange * MaxWants) { FaultLater($"a Have for {length} blocks"); length = 0; }
                var wantedEnd = Math.Min(h.Start + length, MaxWantedBlocks);
                for (var i = h.Start; i < wantedEnd; i++)
                    if (!_feed.HasDurable(i)) _remoteBits.Set(i, true);
                if (length > 0 && h.Start + length > _remoteLength) _remoteLength = h.Start + length;
            }
            if (h.HasBitfield) _remoteLengthKnown = true;
            overClaims = ChargeClaimsLocked(_remoteBits.AllocatedBytes - claimsBefore);
            remoteLength = _remoteLength;
            SendWantsLocked();
        }
        if (overClaims)
        {
            // Not this feed's fault alone: the connection's claims together are over the cap.
            var reason = $"the remote's Haves claim blocks over more than {_budget!.MaxClaimBytes / (1024 * 1024)} MiB of bitfield on one connection";
            ReplicationLog.FeedFault(_logger, _feed.KeyHex, RemoteId, reason);
            OnClosed();
            _channel.Abort(reason);
            return;
        }
        if (_feed.Writable && remoteLength > 0) _feed.SetPeerClaim(this, remoteLength);
        FlushFault();
        Update();
        CheckEnd();
    }

    // Charges what the remote's claims just grew by to the connection; true once it is over its cap.
    private bool ChargeClaimsLocked(long grown)
    {
        if (grown <= 0 || _budget is null) return false;
        _claimsCharged += grown;
        return !_budget.ChargeClaims(grown);
    }

    private void OnUnhave(Unhave u)
    {
        lock (_gate)
        {
            var length = u.HasLength ? u.Length : 1;
            if (u.Start == 0 && length >= _remoteLength)
            {
                _remoteLength = 0;
                _remoteBits.SetRange(0, Math.Max(_remoteBits.Length, length), false);
                return;
            }
            _remoteBits.SetRange(u.Start, Math.Min(length, WantRange * MaxWants), false);
        }
    }

    /// <summary>Sends Requests for blocks the remote has and we lack, up to the in-flight limit.</summary>
    private void Update()
    {
        lock (_gate)
        {
            if (_closed || !_downloading || !_remoteUploading) return;
            var wrapped = false;
            while (InflightCount < _options.MaxInflightRequests)
            {
                var next = _remoteBits.NextSet(_selectFrom, _remoteLength);
                if (next is not { } index)
                {
                    if (wrapped || _selectFrom == 0) break;
                    _selectFrom = 0;
                    wrapped = true;
                    continue;
                }
                _selectFrom = index + 1;
                if (_inflight?.ContainsKey(index) == true) continue;
                if (_feed.Has(index))
                {
                    // Held; a block still being committed keeps its bit, in case the commit fails.
                    if (_feed.HasDurable(index)) _remoteBits.Set(index, false);
                    continue;
                }
                if (_budget is not null && !_budget.TryAcquire(this)) { _selectFrom = index; break; } // woken when a slot frees
                if (!_hub.TryReserve(index))
                {
                    _budget?.Return();
                    continue; // another peer is fetching it
                }
                (_inflight ??= [])[index] = Stopwatch.GetTimestamp();
                _channel.Send(new Request { Index = index, Bytes = 0, Hash = false, Nodes = 0 });
            }
        }
    }

    private void OnData(Data d)
    {
        if (!d.HasValue) return; // hash-only replies: we never ask for them
        lock (_gate)
        {
            // hypercore drops unrequested values; a peer may not push blocks at us.
            if (_inflight is null || !_inflight.Remove(d.Index)) return;
            if (_inflight.Count == 0) _inflight = null;
        }
        // The slot is this feed's first: its own next request (in Update below) reuses it, and only
        // what it leaves wakes other feeds (see RequestBudget).
        _budget?.Return();
        try { StoreData(d); }
        finally { _budget?.WakeWaiters(); } // whatever happened, a slot came back
    }

    private void StoreData(Data d)
    {
        var proof = new TreeNode[d.Nodes.Count];
        for (var i = 0; i < proof.Length; i++)
        {
            var n = d.Nodes[i];
            proof[i] = new TreeNode(n.Index, n.Hash.ToByteArray(), n.Size);
        }
        Task stored;
        try
        {
            stored = _feed.VerifyAndStore(d.Index, d.Value.Memory, proof, d.HasSignature ? d.Signature.Memory : null);
        }
        catch (ProofVerificationException e)
        {
            _hub.Unreserve(d.Index);
            Fault($"block {d.Index} failed verification: {e.Message}");
            return;
        }
        stored.ContinueWith(t => AfterStored(d.Index, t), TaskScheduler.Default);
        Update();
    }

    private void AfterStored(ulong index, Task stored)
    {
        _hub.Unreserve(index);
        if (stored.IsFaulted)
        {
            // Not on disk (and the feed rolled back to what is): the remote has it, so ask again.
            // Not at once: a full disk would make that a busy loop. The 1 s tick resumes requests.
            ReplicationLog.StoreFailed(_logger, index, _feed.KeyHex, stored.Exception!.GetBaseException());
            lock (_gate) if (!_closed) _remoteBits.Set(index, true);
            return;
        }
        lock (_gate)
        {
            _remoteBits.Set(index, false);
            if (!_closed && _channel.RemoteAck) _channel.Send(new Have { Start = index, Length = 1, Ack = true });
        }
        _hub.AnnounceDownloaded(index, except: this);
        Update();
        CheckEnd();
    }

    /// <summary>
    /// Called about once a second: closes the channel if a request has waited longer than the
    /// timeout, and restarts selection for a feed that sits idle with blocks left to fetch (a safety
    /// net should a wake-up from the connection's request budget have been missed).
    /// </summary>
    public void CheckTimeouts()
    {
        string? fault = null;
        var released = 0;
        var idleWithWork = false;
        lock (_gate)
        {
            if (_closed) return;
            if (_inflight is null)
            {
                idleWithWork = _downloading && _remoteUploading && _remoteBits.NextSet(0, _remoteLength) is not null;
            }
            else
            {
                var oldest = _inflight.MinBy(kv => kv.Value);
                if (Stopwatch.GetElapsedTime(oldest.Value) >= _options.RequestTimeout)
                {
                    if (_feed.Has(oldest.Key))
                    {
                        _inflight.Remove(oldest.Key); // another peer served it meanwhile
                        if (_inflight.Count == 0) _inflight = null;
                        _hub.Unreserve(oldest.Key);
                        released = 1;
                    }
                    else fault = $"request for block {oldest.Key} timed out";
                }
            }
        }
        _budget?.Release(released);
        if (fault is not null) Fault(fault);
        else if (released > 0 || idleWithWork) Update();
    }

    // Non-live replication ends once neither side is downloading (§9.11).
    private void CheckEnd()
    {
        if (_options.Live) return;
        bool close;
        lock (_gate)
        {
            if (_closed) return;
            if (_downloading && (_remoteLength > 0 || _remoteLengthKnown) && _inflight is null && _feed.DownloadedCount() >= _remoteLength)
            {
                _downloading = false;
                _channel.Send(new Status { Uploading = _uploading, Downloading = false });
            }
            close = !_downloading && !_remoteDownloading;
        }
        if (close)
        {
            OnClosed();
            _channel.Close("replication finished");
        }
    }

    private string? _pendingFault;

    private void FaultLater(string reason) => _pendingFault = "the remote sent " + reason;

    private void FlushFault()
    {
        string? reason;
        lock (_gate) { reason = _pendingFault; _pendingFault = null; }
        if (reason is not null) Fault(reason);
    }
}
