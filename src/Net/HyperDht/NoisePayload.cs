// The plaintext inside both Noise IK handshake messages (lib/messages.js noisePayload;
// spec/hyperswarm.md §3.2):
//   version (1) || flags || error || firewall || [holepunch] || [addresses4] || [addresses6] || [udx]
//   || [secretStream] || [relayThrough] || [relayAddresses]
//   flags: 1 holepunch, 2 addresses4 (only when non-empty), 4 addresses6 (non-empty), 8 udx,
//          16 secretStream, 32 relayThrough, 64 relayAddresses (present, even if empty)
// A version other than 1 decodes to that version with everything else at defaults, so a future
// version is reported rather than refused.
using System.Net;
using Cabal.Net.Compact;

namespace Cabal.Net.HyperDht;

/// <summary>A relay the server announced through, and the server's address as that relay sees it.</summary>
public readonly record struct RelayInfo(Ipv4EndPoint RelayAddress, Ipv4EndPoint PeerAddress);

/// <summary>The server's holepunch slot and its announce relays.</summary>
public sealed record HolepunchInfo(ulong Id, IReadOnlyList<RelayInfo> Relays)
{
    public bool Equals(HolepunchInfo? other) => other is not null && Id == other.Id && Relays.SequenceEqual(other.Relays);
    public override int GetHashCode() => HashCode.Combine(Id, Relays.Count);
}

/// <summary>The sender's UDX stream: the id the peer must address packets to, and the first sequence number.</summary>
public sealed record UdxInfo(uint Id, ulong Seq = 0, bool ReusableSocket = false, ulong Version = 1);

/// <summary>A blind relay to use (not used by cabal; carried for completeness).</summary>
public sealed record RelayThroughInfo(byte[] PublicKey, byte[] Token, ulong Version = 1);

public sealed record NoisePayload : CompactMessage
{
    public ulong Version { get; init; } = 1;
    public ulong Error { get; init; }
    public FirewallType Firewall { get; init; }
    public HolepunchInfo? Holepunch { get; init; }
    public IReadOnlyList<Ipv4EndPoint> Addresses4 { get; init; } = [];
    public IReadOnlyList<IPEndPoint> Addresses6 { get; init; } = [];
    public UdxInfo? Udx { get; init; }

    /// <summary>secretStream{version}; null when absent.</summary>
    public ulong? SecretStream { get; init; }

    public RelayThroughInfo? RelayThrough { get; init; }

    /// <summary>null: absent; an empty list is still sent (flag set, count 0).</summary>
    public IReadOnlyList<Ipv4EndPoint>? RelayAddresses { get; init; }

    public override int EncodedLength
    {
        get
        {
            var n = 4;
            if (Holepunch is { } h) n += CompactSize.UInt(h.Id) + CompactSize.UInt((ulong)h.Relays.Count) + h.Relays.Count * 12;
            if (Addresses4.Count > 0) n += CompactSize.Ipv4EndPoints(Addresses4.Count);
            if (Addresses6.Count > 0) n += CompactSize.UInt((ulong)Addresses6.Count) + Addresses6.Count * 18;
            if (Udx is { } u) n += 2 + CompactSize.UInt(u.Id) + CompactSize.UInt(u.Seq);
            if (SecretStream is not null) n += 1;
            if (RelayThrough is not null) n += 2 + 64;
            if (RelayAddresses is { } r) n += CompactSize.Ipv4EndPoints(r.Count);
            return n;
        }
    }

    public override void Write(ref CompactWriter w)
    {
        var flags = (Holepunch is null ? 0 : 1) | (Addresses4.Count > 0 ? 2 : 0) | (Addresses6.Count > 0 ? 4 : 0) | (Udx is null ? 0 : 8)
            | (SecretStream is null ? 0 : 16) | (RelayThrough is null ? 0 : 32) | (RelayAddresses is null ? 0 : 64);
        w.WriteUInt(1);
        w.WriteUInt((ulong)flags);
        w.WriteUInt(Error);
        w.WriteUInt((ulong)Firewall);
        if (Holepunch is { } h)
        {
            w.WriteUInt(h.Id);
            w.WriteUInt((ulong)h.Relays.Count);
            foreach (var relay in h.Relays)
            {
                w.WriteIpv4EndPoint(relay.RelayAddress);
                w.WriteIpv4EndPoint(relay.PeerAddress);
            }
        }
        if (Addresses4.Count > 0) w.WriteIpv4EndPoints(Addresses4);
        if (Addresses6.Count > 0)
        {
            w.WriteUInt((ulong)Addresses6.Count);
            foreach (var a in Addresses6) w.WriteIpv6EndPoint(a);
        }
        if (Udx is { } u)
        {
            w.WriteUInt(1);
            w.WriteUInt(u.ReusableSocket ? 1UL : 0UL);
            w.WriteUInt(u.Id);
            w.WriteUInt(u.Seq);
        }
        if (SecretStream is not null) w.WriteUInt(1);
        if (RelayThrough is { } t)
        {
            w.WriteUInt(1);
            w.WriteUInt(0);
            w.WriteFixed(t.PublicKey.AsSpan(0, 32));
            w.WriteFixed(t.Token.AsSpan(0, 32));
        }
        if (RelayAddresses is { } ra) w.WriteIpv4EndPoints(ra);
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out NoisePayload payload)
    {
        payload = null!;
        var r = new CompactReader(data);
        if (!r.TryReadUInt(out ulong version)) return false;
        if (version != 1)
        {
            payload = new NoisePayload { Version = version };
            return true;
        }
        if (!r.TryReadUInt(out ulong flags) || !r.TryReadUInt(out ulong error) || !r.TryReadUInt(out ulong firewall)) return false;

        HolepunchInfo? holepunch = null;
        if ((flags & 1) != 0)
        {
            if (!r.TryReadUInt(out ulong id) || !r.TryReadArrayLength(out var count)) return false;
            var relays = new List<RelayInfo>(Math.Min(count, r.Remaining / 12));
            for (var i = 0; i < count; i++)
            {
                if (!r.TryReadIpv4EndPoint(out var relay) || !r.TryReadIpv4EndPoint(out var peer)) return false;
                relays.Add(new RelayInfo(relay, peer));
            }
            holepunch = new HolepunchInfo(id, relays);
        }
        List<Ipv4EndPoint> addresses4 = [];
        if ((flags & 2) != 0 && !r.TryReadIpv4EndPoints(out addresses4)) return false;
        var addresses6 = new List<IPEndPoint>();
        if ((flags & 4) != 0)
        {
            if (!r.TryReadArrayLength(out var count)) return false;
            for (var i = 0; i < count; i++)
            {
                if (!r.TryReadIpv6EndPoint(out var a)) return false;
                addresses6.Add(a!);
            }
        }
        UdxInfo? udx = null;
        if ((flags & 8) != 0)
        {
            if (!r.TryReadUInt(out ulong udxVersion) || !r.TryReadUInt(out ulong features) || !r.TryReadUInt(out uint id) || !r.TryReadUInt(out ulong seq)) return false;
            udx = new UdxInfo(id, seq, (features & 1) != 0, udxVersion);
        }
        ulong? secretStream = null;
        if ((flags & 16) != 0)
        {
            if (!r.TryReadUInt(out ulong ssVersion)) return false;
            secretStream = ssVersion;
        }
        RelayThroughInfo? relayThrough = null;
        if ((flags & 32) != 0)
        {
            if (!r.TryReadUInt(out ulong rtVersion) || !r.TryReadUInt(out ulong _) || !r.TryReadFixed32(out var pk) || !r.TryReadFixed32(out var token)) return false;
            relayThrough = new RelayThroughInfo(pk.ToArray(), token.ToArray(), rtVersion);
        }
        List<Ipv4EndPoint>? relayAddresses = null;
        if ((flags & 64) != 0 && !r.TryReadIpv4EndPoints(out relayAddresses)) return false;

        payload = new NoisePayload
        {
            Version = version,
            Error = error,
            Firewall = (FirewallType)firewall,
            Holepunch = holepunch,
            Addresses4 = addresses4,
            Addresses6 = addresses6,
            Udx = udx,
            SecretStream = secretStream,
            RelayThrough = relayThrough,
            RelayAddresses = relayAddresses,
        };
        return true;
    }
}

/// <summary>
/// The plaintext of a PEER_HOLEPUNCH payload box (lib/messages.js holepunchPayload):
///   flags (1 connected, 2 punching, 4 addresses, 8 remoteAddress, 16 token, 32 remoteToken) || error
///   || firewall || round || [addresses] || [remoteAddress] || [token 32] || [remoteToken 32]
/// </summary>
public sealed record HolepunchPayload : CompactMessage
{
    public ulong Error { get; init; }
    public FirewallType Firewall { get; init; }
    public ulong Round { get; init; }
    public bool Connected { get; init; }
    public bool Punching { get; init; }
    public IReadOnlyList<Ipv4EndPoint>? Addresses { get; init; }
    public Ipv4EndPoint? RemoteAddress { get; init; }
    public byte[]? Token { get; init; }
    public byte[]? RemoteToken { get; init; }

    public override int EncodedLength => 1 + CompactSize.UInt(Error) + CompactSize.UInt((ulong)Firewall) + CompactSize.UInt(Round)
        + (Addresses is { } a ? CompactSize.Ipv4EndPoints(a.Count) : 0) + (RemoteAddress is null ? 0 : 6)
        + (Token is null ? 0 : 32) + (RemoteToken is null ? 0 : 32);

    public override void Write(ref CompactWriter w)
    {
        w.WriteUInt((ulong)((Connected ? 1 : 0) | (Punching ? 2 : 0) | (Addresses is null ? 0 : 4) | (RemoteAddress is null ? 0 : 8)
            | (Token is null ? 0 : 16) | (RemoteToken is null ? 0 : 32)));
        w.WriteUInt(Error);
        w.WriteUInt((ulong)Firewall);
        w.WriteUInt(Round);
        if (Addresses is { } a) w.WriteIpv4EndPoints(a);
        if (RemoteAddress is { } ra) w.WriteIpv4EndPoint(ra);
        if (Token is not null) w.WriteFixed(Token.AsSpan(0, 32));
        if (RemoteToken is not null) w.WriteFixed(RemoteToken.AsSpan(0, 32));
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out HolepunchPayload payload)
    {
        payload = null!;
        var r = new CompactReader(data);
        if (!r.TryReadUInt(out ulong flags) || !r.TryReadUInt(out ulong error) || !r.TryReadUInt(out ulong firewall) || !r.TryReadUInt(out ulong round)) return false;
        List<Ipv4EndPoint>? addresses = null;
        Ipv4EndPoint remote = default;
        ReadOnlySpan<byte> token = default, remoteToken = default;
        if ((flags & 4) != 0 && !r.TryReadIpv4EndPoints(out addresses)) return false;
        if ((flags & 8) != 0 && !r.TryReadIpv4EndPoint(out remote)) return false;
        if ((flags & 16) != 0 && !r.TryReadFixed32(out token)) return false;
        if ((flags & 32) != 0 && !r.TryReadFixed32(out remoteToken)) return false;
        payload = new HolepunchPayload
        {
            Error = error,
            Firewall = (FirewallType)firewall,
            Round = round,
            Connected = (flags & 1) != 0,
            Punching = (flags & 2) != 0,
            Addresses = addresses,
            RemoteAddress = (flags & 8) != 0 ? remote : null,
            Token = (flags & 16) != 0 ? token.ToArray() : null,
            RemoteToken = (flags & 32) != 0 ? remoteToken.ToArray() : null,
        };
        return true;
    }
}
