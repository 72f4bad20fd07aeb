// A server listening on a key pair (hyperdht lib/server.js, without the UDX parts): it holds a route
// on this node's router, answers handshakes through its HandshakeResponder, and answers PEER_HOLEPUNCH
// for its handshakes. The announcer (Listen) keeps its route on the closest DHT nodes.
// Seams for the UDX layer: IServerTransport creates the UDX stream a handshake names in its payload
// and is told about every new handshake; HolepunchHandler decides punch rounds (default: ABORTED, as a
// server that cannot punch).
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;

namespace Cabal.Net.HyperDht;

/// <summary>What a listening server needs from the transport below (UDX streams).</summary>
public interface IServerTransport
{
    /// <summary>Creates an unconnected stream for a handshake; returns its local id for the payload's udx field.</summary>
    uint CreateStream(HandshakeContext context);

    /// <summary>A new handshake was answered (its client may now reach the stream).</summary>
    void OnHandshake(ServerHandshake handshake);
}

public sealed class HyperDhtServer : IRouteServer
{
    private readonly HyperDht _dht;
    private readonly IServerTransport _transport;

    internal HyperDhtServer(HyperDht dht, KeyPair keyPair, IServerTransport transport, Func<byte[], NoisePayload, Ipv4EndPoint, bool>? firewall)
    {
        _dht = dht;
        _transport = transport;
        KeyPair = keyPair;
        Target = HyperDhtKeys.Hash(keyPair.PublicKey);
        Responder = new HandshakeResponder(keyPair, CreatePayload, dht.Options.Time, dht.Options.HandshakeClearWait, dht.Options.MaxPendingHandshakes, firewall);
    }

    public KeyPair KeyPair { get; }
    public byte[] Target { get; }
    public HandshakeResponder Responder { get; }

    /// <summary>Our announce relays: (the node holding our route, our address as it sees us).</summary>
    public IReadOnlyList<RelayInfo> Relays { get; internal set; } = [];

    /// <summary>Up to 3 addresses to publish in topic announcements: where handshakes for us can be sent.</summary>
    public IReadOnlyList<Ipv4EndPoint> RelayAddresses { get; internal set; } = [];

    /// <summary>Decides a holepunch round; null: reply ABORTED.</summary>
    public Func<ServerHandshake, HolepunchPayload, Ipv4EndPoint, HolepunchPayload?>? HolepunchHandler { get; set; }

    public long HolepunchUnknownSlot { get; private set; }
    public long HolepunchUndecryptable { get; private set; }

    HandshakeReply? IRouteServer.OnPeerHandshake(byte[] noise, Ipv4EndPoint? peerAddress, DhtIncomingRequest request)
    {
        var before = Responder.Answered;
        var hs = Responder.OnHandshake(noise, peerAddress, request.From, request.To);
        if (hs is null)
        {
            HyperDhtLog.HandshakeRefused(_dht.Logger, "not for our key, undecodable or refused");
            return null;
        }
        if (Responder.Answered != before && hs.Accepted) _transport.OnHandshake(hs);
        return new HandshakeReply(hs.Reply);
    }

    HolepunchReply? IRouteServer.OnPeerHolepunch(ulong id, byte[] payload, Ipv4EndPoint peerAddress, DhtIncomingRequest request)
    {
        var hs = Responder.BySlot(id);
        if (hs is null)
        {
            HolepunchUnknownSlot++;
            return null;
        }
        if (!hs.PayloadBox.TryOpen(payload, out var remote))
        {
            HolepunchUndecryptable++;
            return null;
        }
        var reply = remote.Error != PayloadError.None ? null : HolepunchHandler?.Invoke(hs, remote, peerAddress);
        reply ??= new HolepunchPayload { Error = PayloadError.Aborted, Firewall = hs.ServerPayload.Firewall, Round = remote.Round };
        return new HolepunchReply(hs.PayloadBox.Seal(reply));
    }

    private NoisePayload CreatePayload(HandshakeContext context)
    {
        var remote = _dht.Node.RemoteAddress;
        var addresses = new List<Ipv4EndPoint>();
        if (remote is { } r) addresses.Add(r);
        var local = _dht.Node.ServerAddress;
        if (local.Address != 0 && !addresses.Contains(local)) addresses.Add(local);
        return new NoisePayload
        {
            Firewall = remote is null ? FirewallType.Unknown : FirewallType.Open,
            Holepunch = remote is null ? new HolepunchInfo(context.HolepunchId, Relays) : null,
            Addresses4 = addresses,
            Udx = context.Error == PayloadError.None ? new UdxInfo(_transport.CreateStream(context)) : null,
            SecretStream = 1,
        };
    }
}
