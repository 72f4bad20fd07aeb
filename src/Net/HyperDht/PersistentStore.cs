// What a persistent (storage) node answers (hyperdht lib/persistent.js; spec/hyperswarm.md §3.3).
// Every write must carry a write token dht-rpc has already checked, and is signed by the announcing key
// over this node's id and that token; a bad signature gets no reply at all (the sender sees a timeout).
//   LOOKUP       up to 20 random records of the topic, plus the route's record if there is room
//   FIND_PEER    the route's record for hash(publicKey)
//   ANNOUNCE     store the record (relay addresses cut to 3); target = hash(publicKey) ("listen")
//                stores a route instead: handshakes for that key are forwarded to the announcing address
//   UNANNOUNCE   remove it
//   MUTABLE_*    signed, sequenced values under hash(publicKey); IMMUTABLE_* values under hash(value)
// Records live in generational caches (20 min: gone 13.3–26.7 min after the last announce) and are
// capped in total and per topic. Everything refused is counted.
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;

namespace Cabal.Net.HyperDht;

public sealed class PersistentStore
{
    private const int LookupLimit = 20;
    private const int MaxRelayAddresses = 3;
    private static readonly TimeSpan MaxBumpDrift = TimeSpan.FromSeconds(60);

    private readonly Router _router;
    private readonly Func<byte[]?> _nodeId;
    private readonly TimeProvider _time;
    private readonly RecordCache _records;
    private readonly GenerationalCache<string, ulong> _bumps;
    private readonly GenerationalCache<string, (string Topic, byte[] Record, bool Self)> _refreshes;
    private readonly GenerationalCache<string, byte[]> _mutables;
    private readonly GenerationalCache<string, byte[]> _immutables;

    public PersistentStore(HyperDhtOptions options, Router router, Func<byte[]?> nodeId, Random random)
    {
        _router = router;
        _nodeId = nodeId;
        _time = options.Time;
        _records = new RecordCache(options.MaxRecords, options.MaxRecordsPerTopic, options.RecordMaxAge, random);
        _bumps = new GenerationalCache<string, ulong>(options.MaxRecords, options.RecordMaxAge);
        _refreshes = new GenerationalCache<string, (string, byte[], bool)>(options.MaxRecords, options.RecordMaxAge);
        _mutables = new GenerationalCache<string, byte[]>(options.MaxValues, options.ValueMaxAge);
        _immutables = new GenerationalCache<string, byte[]>(options.MaxValues, options.ValueMaxAge);
    }

    public int RecordCount => _records.Count;
    public long RecordsRefusedTopicFull => _records.Refused;
    public long RefusedSignatures { get; private set; }
    public long RefusedMalformed { get; private set; }

    public void Sweep(TimeSpan elapsed)
    {
        _records.Sweep(elapsed);
        _bumps.Sweep(elapsed);
        _refreshes.Sweep(elapsed);
        _mutables.Sweep(elapsed);
        _immutables.Sweep(elapsed);
    }

    /// <summary>Handles a storage command; false for commands this store does not know.</summary>
    public bool OnRequest(DhtIncomingRequest req)
    {
        switch (req.Command)
        {
            case HyperDhtCommand.FindPeer: OnFindPeer(req); return true;
            case HyperDhtCommand.Lookup: OnLookup(req); return true;
            case HyperDhtCommand.Announce: OnAnnounce(req); return true;
            case HyperDhtCommand.Unannounce: OnUnannounce(req); return true;
            case HyperDhtCommand.MutablePut: OnMutablePut(req); return true;
            case HyperDhtCommand.MutableGet: OnMutableGet(req); return true;
            case HyperDhtCommand.ImmutablePut: OnImmutablePut(req); return true;
            case HyperDhtCommand.ImmutableGet: OnImmutableGet(req); return true;
            case HyperDhtCommand.Plugin: return true; // no plugins: nothing is answered, as JS with an unknown plugin
        }
        return false;
    }

    /// <summary>Records stored for a topic (diagnostics and tests).</summary>
    public IReadOnlyList<PeerRecord> RecordsFor(ReadOnlySpan<byte> topic)
        => _records.Get(Convert.ToHexStringLower(topic), int.MaxValue).Select(r => PeerRecord.TryDecode(r, out var p) ? p : null).OfType<PeerRecord>().ToList();

    /// <summary>Drops our own record for a topic (an unannounce from this node).</summary>
    public void Unannounce(ReadOnlySpan<byte> target, ReadOnlySpan<byte> publicKey)
    {
        var k = Convert.ToHexStringLower(target);
        if (HyperDhtKeys.Hash(publicKey).AsSpan().SequenceEqual(target)) _router.Remove(target);
        _records.Remove(k, Convert.ToHexStringLower(publicKey));
    }

    private void OnLookup(DhtIncomingRequest req)
    {
        if (req.Target is null) return;
        var k = Convert.ToHexStringLower(req.Target);
        var records = _records.Get(k, LookupLimit);
        var bump = _bumps.TryGet(k, out var b) ? b : 0;
        if (records.Count < LookupLimit && _router.Get(req.Target) is { } route) records.Add(route.Record);
        req.Reply(records.Count > 0 ? LookupReply.EncodeRaw(records, bump) : null);
    }

    private void OnFindPeer(DhtIncomingRequest req)
    {
        if (req.Target is null) return;
        req.Reply(_router.Get(req.Target)?.Record);
    }

    private void OnAnnounce(DhtIncomingRequest req)
    {
        if (req.Target is null || req.Token is null || _nodeId() is not { } id) return;
        if (req.Value is null || !AnnounceMessage.TryDecode(req.Value, out var ann))
        {
            RefusedMalformed++;
            return;
        }
        if (ann.Peer is not { } peer)
        {
            if (ann.Refresh is { } refresh) OnRefresh(refresh, req);
            return;
        }
        if (!AnnounceSignature.Verify(Namespaces.Announce, req.Target, id, req.Token, ann))
        {
            RefusedSignatures++;
            return;
        }
        if (peer.RelayAddresses.Count > MaxRelayAddresses) peer = peer with { RelayAddresses = peer.RelayAddresses.Take(MaxRelayAddresses).ToList() };

        var k = Convert.ToHexStringLower(req.Target);
        var pk = Convert.ToHexStringLower(peer.PublicKey);
        var record = peer.Encode();
        var self = HyperDhtKeys.Hash(peer.PublicKey).AsSpan().SequenceEqual(req.Target);
        if (self)
        {
            _router.Set(req.Target, new RouteEntry(req.From, record));
            _records.Remove(k, pk);
        }
        else
        {
            var current = _bumps.TryGet(k, out var c) ? c : 0;
            var limit = (ulong)(_time.GetUtcNow() + MaxBumpDrift).ToUnixTimeMilliseconds();
            if (ann.Bump > current && ann.Bump <= limit) _bumps.Set(k, ann.Bump);
            _records.Add(k, pk, record);
        }
        if (ann.Refresh is { } r) _refreshes.Set(Convert.ToHexStringLower(r), (k, record, self));
        req.Reply(null, token: false, closerNodes: false);
    }

    // The refresh chain: an announce without a peer names the hash preimage of a previous refresh token.
    private void OnRefresh(byte[] token, DhtIncomingRequest req)
    {
        var active = Convert.ToHexStringLower(Blake2b.Hash256(token));
        if (!_refreshes.TryGet(active, out var r)) return;
        var publicKey = r.Record.AsSpan(0, 32);
        if (r.Self)
        {
            _router.Set(Convert.FromHexString(r.Topic), new RouteEntry(req.From, r.Record));
            _records.Remove(r.Topic, Convert.ToHexStringLower(publicKey));
        }
        else
        {
            _records.Add(r.Topic, Convert.ToHexStringLower(publicKey), r.Record);
        }
        _refreshes.Remove(active);
        _refreshes.Set(Convert.ToHexStringLower(token), r);
        req.Reply(null, token: false, closerNodes: false);
    }

    private void OnUnannounce(DhtIncomingRequest req)
    {
        if (req.Target is null || req.Token is null || _nodeId() is not { } id) return;
        if (req.Value is null || !AnnounceMessage.TryDecode(req.Value, out var ann) || ann.Peer is null || ann.Signature is null)
        {
            RefusedMalformed++;
            return;
        }
        if (!AnnounceSignature.Verify(Namespaces.Unannounce, req.Target, id, req.Token, ann))
        {
            RefusedSignatures++;
            return;
        }
        Unannounce(req.Target, ann.Peer.PublicKey);
        req.Reply(null, token: false, closerNodes: false);
    }

    private void OnMutableGet(DhtIncomingRequest req)
    {
        if (req.Target is null || req.Value is null) return;
        var r = new CompactReader(req.Value);
        if (!r.TryReadUInt(out ulong seq))
        {
            RefusedMalformed++;
            return;
        }
        if (!_mutables.TryGet(Convert.ToHexStringLower(req.Target), out var value))
        {
            req.Reply(null);
            return;
        }
        var stored = new CompactReader(value);
        stored.TryReadUInt(out ulong localSeq);
        req.Reply(localSeq < seq ? null : value);
    }

    private void OnMutablePut(DhtIncomingRequest req)
    {
        if (req.Target is null || req.Token is null || req.Value is null) return;
        if (!MutablePutRequest.TryDecode(req.Value, out var p))
        {
            RefusedMalformed++;
            return;
        }
        if (!HyperDhtKeys.Hash(p.PublicKey).AsSpan().SequenceEqual(req.Target)) return;
        if (!AnnounceSignature.VerifyMutable(p.Signature, p.Seq, p.Value, p.PublicKey))
        {
            RefusedSignatures++;
            return;
        }
        var k = Convert.ToHexStringLower(req.Target);
        if (_mutables.TryGet(k, out var local) && MutableGetResponse.TryDecode(local, out var existing))
        {
            if (existing.Seq == p.Seq && !existing.Value.AsSpan().SequenceEqual(p.Value))
            {
                req.Error(DhtErrorCode.SeqReused);
                return;
            }
            if (p.Seq < existing.Seq)
            {
                req.Error(DhtErrorCode.SeqTooLow);
                return;
            }
        }
        _mutables.Set(k, new MutableGetResponse(p.Seq, p.Value, p.Signature).Encode());
        req.Reply(null);
    }

    private void OnImmutableGet(DhtIncomingRequest req)
    {
        if (req.Target is null) return;
        req.Reply(_immutables.TryGet(Convert.ToHexStringLower(req.Target), out var value) ? value : null);
    }

    private void OnImmutablePut(DhtIncomingRequest req)
    {
        if (req.Target is null || req.Token is null || req.Value is null) return;
        if (!HyperDhtKeys.Hash(req.Value).AsSpan().SequenceEqual(req.Target))
        {
            RefusedMalformed++;
            return;
        }
        _immutables.Set(Convert.ToHexStringLower(req.Target), req.Value);
        req.Reply(null);
    }
}
