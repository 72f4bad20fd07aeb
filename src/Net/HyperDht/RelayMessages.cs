// The two messages routers forward (lib/messages.js handshake, holepunch; spec/hyperswarm.md §3.2, §3.5):
//   handshake = flags (1 peerAddress, 2 relayAddress) || mode || noise:buffer || [peerAddress] || [relayAddress]
//   holepunch = flags (1 peerAddress) || mode || id:uint || payload:buffer || [peerAddress]
// peerAddress is the far end as a relay saw it (the client for requests going to the server, the server
// for replies going back); relayAddress is the first relay, for a second relay to send the answer to.
using Cabal.Net.Compact;

namespace Cabal.Net.HyperDht;

public sealed record HandshakeMessage(RelayMode Mode, byte[] Noise, Ipv4EndPoint? PeerAddress = null, Ipv4EndPoint? RelayAddress = null) : CompactMessage
{
    public override int EncodedLength => CompactSize.UInt((ulong)Mode) + 1 + CompactSize.Buffer(Noise.Length)
        + (PeerAddress is null ? 0 : Ipv4EndPoint.Size) + (RelayAddress is null ? 0 : Ipv4EndPoint.Size);

    public override void Write(ref CompactWriter w)
    {
        w.WriteUInt((ulong)((PeerAddress is null ? 0 : 1) | (RelayAddress is null ? 0 : 2)));
        w.WriteUInt((ulong)Mode);
        w.WriteBuffer(Noise);
        if (PeerAddress is { } p) w.WriteIpv4EndPoint(p);
        if (RelayAddress is { } r) w.WriteIpv4EndPoint(r);
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out HandshakeMessage message)
    {
        message = null!;
        var r = new CompactReader(data);
        if (!r.TryReadUInt(out ulong flags) || !r.TryReadUInt(out ulong mode) || !r.TryReadBuffer(out var noise)) return false;
        Ipv4EndPoint peer = default, relay = default;
        if ((flags & 1) != 0 && !r.TryReadIpv4EndPoint(out peer)) return false;
        if ((flags & 2) != 0 && !r.TryReadIpv4EndPoint(out relay)) return false;
        message = new HandshakeMessage((RelayMode)mode, noise.ToArray(), (flags & 1) != 0 ? peer : null, (flags & 2) != 0 ? relay : null);
        return true;
    }
}

public sealed record HolepunchMessage(RelayMode Mode, ulong Id, byte[] Payload, Ipv4EndPoint? PeerAddress = null) : CompactMessage
{
    public override int EncodedLength => 1 + CompactSize.UInt((ulong)Mode) + CompactSize.UInt(Id) + CompactSize.Buffer(Payload.Length)
        + (PeerAddress is null ? 0 : Ipv4EndPoint.Size);

    public override void Write(ref CompactWriter w)
    {
        w.WriteUInt(PeerAddress is null ? 0UL : 1UL);
        w.WriteUInt((ulong)Mode);
        w.WriteUInt(Id);
        w.WriteBuffer(Payload);
        if (PeerAddress is { } p) w.WriteIpv4EndPoint(p);
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out HolepunchMessage message)
    {
        message = null!;
        var r = new CompactReader(data);
        if (!r.TryReadUInt(out ulong flags) || !r.TryReadUInt(out ulong mode) || !r.TryReadUInt(out ulong id) || !r.TryReadBuffer(out var payload)) return false;
        Ipv4EndPoint peer = default;
        if ((flags & 1) != 0 && !r.TryReadIpv4EndPoint(out peer)) return false;
        message = new HolepunchMessage((RelayMode)mode, id, payload.ToArray(), (flags & 1) != 0 ? peer : null);
        return true;
    }
}
