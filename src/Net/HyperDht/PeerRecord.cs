// hyperdht `peer` (lib/messages.js; spec/hyperswarm.md §3.2): what LOOKUP and FIND_PEER return and
// ANNOUNCE stores.  publicKey (fixed32) || relayAddresses (array(ipv4Address))
using Cabal.Net.Compact;

namespace Cabal.Net.HyperDht;

public sealed record PeerRecord(byte[] PublicKey, IReadOnlyList<Ipv4EndPoint> RelayAddresses) : CompactMessage
{
    public override int EncodedLength => 32 + CompactSize.Ipv4EndPoints(RelayAddresses.Count);

    public override void Write(ref CompactWriter w)
    {
        w.WriteFixed(PublicKey.AsSpan(0, 32));
        w.WriteIpv4EndPoints(RelayAddresses);
    }

    internal static bool TryRead(ref CompactReader r, out PeerRecord record)
    {
        record = null!;
        if (!r.TryReadFixed32(out var pk) || !r.TryReadIpv4EndPoints(out var relays)) return false;
        record = new PeerRecord(pk.ToArray(), relays);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out PeerRecord record)
    {
        var r = new CompactReader(data);
        return TryRead(ref r, out record);
    }

    public bool Equals(PeerRecord? other)
        => other is not null && PublicKey.AsSpan().SequenceEqual(other.PublicKey) && RelayAddresses.SequenceEqual(other.RelayAddresses);

    public override int GetHashCode() => HashCode.Combine(BitConverter.ToInt32(PublicKey, 0), RelayAddresses.Count);
}

/// <summary>
/// LOOKUP's reply value, lookupRawReply: array of peer records then `bump` (JS always writes it; a
/// decoder treats a missing bump as 0).
/// </summary>
public sealed record LookupReply(IReadOnlyList<PeerRecord> Peers, ulong Bump) : CompactMessage
{
    public override int EncodedLength => CompactSize.UInt((ulong)Peers.Count) + Peers.Sum(p => p.EncodedLength) + CompactSize.UInt(Bump);

    public override void Write(ref CompactWriter w)
    {
        w.WriteUInt((ulong)Peers.Count);
        foreach (var p in Peers) p.Write(ref w);
        w.WriteUInt(Bump);
    }

    /// <summary>Encodes records already in `peer` encoding (a storage node keeps them encoded).</summary>
    public static byte[] EncodeRaw(IReadOnlyList<byte[]> records, ulong bump)
    {
        var length = CompactSize.UInt((ulong)records.Count) + records.Sum(r => r.Length) + CompactSize.UInt(bump);
        var buffer = new byte[length];
        var w = new CompactWriter(buffer);
        w.WriteUInt((ulong)records.Count);
        foreach (var r in records) w.WriteFixed(r);
        w.WriteUInt(bump);
        return buffer;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out LookupReply reply)
    {
        reply = null!;
        var r = new CompactReader(data);
        if (!r.TryReadArrayLength(out var count)) return false;
        var peers = new List<PeerRecord>(count);
        for (var i = 0; i < count; i++)
        {
            if (!PeerRecord.TryRead(ref r, out var p)) return false;
            peers.Add(p);
        }
        ulong bump = 0;
        if (!r.End && !r.TryReadUInt(out bump)) return false;
        reply = new LookupReply(peers, bump);
        return true;
    }

    public bool Equals(LookupReply? other) => other is not null && Bump == other.Bump && Peers.SequenceEqual(other.Peers);

    public override int GetHashCode() => HashCode.Combine(Peers.Count, Bump);
}

/// <summary>
/// ANNOUNCE / UNANNOUNCE request value (`announce`):
///   flags (1 peer, 2 refresh, 4 signature, 8 bump) || [peer] || [refresh 32] || [signature 64] || [bump uint]
/// </summary>
public sealed record AnnounceMessage(PeerRecord? Peer, byte[]? Refresh, byte[]? Signature, ulong Bump = 0) : CompactMessage
{
    public override int EncodedLength => 1 + (Peer?.EncodedLength ?? 0) + (Refresh is null ? 0 : 32) + (Signature is null ? 0 : 64) + (Bump > 0 ? CompactSize.UInt(Bump) : 0);

    public override void Write(ref CompactWriter w)
    {
        w.WriteUInt((ulong)((Peer is null ? 0 : 1) | (Refresh is null ? 0 : 2) | (Signature is null ? 0 : 4) | (Bump > 0 ? 8 : 0)));
        Peer?.Write(ref w);
        if (Refresh is not null) w.WriteFixed(Refresh.AsSpan(0, 32));
        if (Signature is not null) w.WriteFixed(Signature.AsSpan(0, 64));
        if (Bump > 0) w.WriteUInt(Bump);
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out AnnounceMessage message)
    {
        message = null!;
        var r = new CompactReader(data);
        if (!r.TryReadUInt(out ulong flags)) return false;
        PeerRecord? peer = null;
        ReadOnlySpan<byte> refresh = default, signature = default;
        ulong bump = 0;
        if ((flags & 1) != 0 && !PeerRecord.TryRead(ref r, out peer)) return false;
        if ((flags & 2) != 0 && !r.TryReadFixed32(out refresh)) return false;
        if ((flags & 4) != 0 && !r.TryReadFixed64(out signature)) return false;
        if ((flags & 8) != 0 && !r.TryReadUInt(out bump)) return false;
        message = new AnnounceMessage(peer, (flags & 2) != 0 ? refresh.ToArray() : null, (flags & 4) != 0 ? signature.ToArray() : null, bump);
        return true;
    }
}
