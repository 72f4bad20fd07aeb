// Forwarding PEER_HANDSHAKE and PEER_HOLEPUNCH (hyperdht lib/router.js; spec/hyperswarm.md §3.5).
// Any node may relay; relaying is plain dht-rpc datagrams. A relayed request keeps the client's tid,
// command and target; only its value changes, and the last hop answers the client with a response.
//
//   PEER_HANDSHAKE at a node that is not the server:
//     FROM_CLIENT   no route and no relayAddress → empty reply with closer nodes (help the client route)
//                   else forward FROM_RELAY {noise, peerAddress = client} to relayAddress or the route
//     FROM_RELAY    route known → forward FROM_SECOND_RELAY {noise, peerAddress, relayAddress = sender}
//     FROM_SERVER   respond to peerAddress (the client) with REPLY {noise, peerAddress = the server}
//   at the server (a route with a Server): compute the reply; FROM_CLIENT → respond REPLY directly;
//     FROM_RELAY → request FROM_SERVER back to the relay; FROM_SECOND_RELAY → to relayAddress.
//   PEER_HOLEPUNCH: FROM_CLIENT forwards to peerAddress or the route; the server answers FROM_RELAY
//     with FROM_SERVER (id 0) back to the relay; FROM_SERVER is answered to peerAddress as a REPLY.
// What cannot be routed is dropped and counted (no route, undecodable, missing fields).
using Cabal.Net.Compact;
using Cabal.Net.Dht;

namespace Cabal.Net.HyperDht;

public sealed class Router(int maxRoutes, TimeSpan maxAge)
{
    private readonly GenerationalCache<string, RouteEntry> _forwards = new(maxRoutes, maxAge);

    public long Forwarded { get; private set; }
    public long DroppedNoRoute { get; private set; }
    public long DroppedMalformed { get; private set; }
    public long ServerRefused { get; private set; }

    public int Count => _forwards.Count;

    public void Set(ReadOnlySpan<byte> target, RouteEntry entry)
    {
        var key = Convert.ToHexStringLower(target);
        if (entry.Server is not null) _forwards.Retain(key, entry);
        else _forwards.Set(key, entry);
    }

    public RouteEntry? Get(ReadOnlySpan<byte> target) => _forwards.TryGet(Convert.ToHexStringLower(target), out var e) ? e : null;

    public bool Remove(ReadOnlySpan<byte> target) => _forwards.Remove(Convert.ToHexStringLower(target));

    public void Sweep(TimeSpan elapsed) => _forwards.Sweep(elapsed);

    public void OnPeerHandshake(DhtIncomingRequest req)
    {
        if (req.Value is null || !HandshakeMessage.TryDecode(req.Value, out var hs))
        {
            DroppedMalformed++;
            return;
        }
        var route = req.Target is null ? null : Get(req.Target);

        if (route?.Server is { } server)
        {
            if (hs.Noise.Length == 0)
            {
                DroppedMalformed++;
                return;
            }
            var reply = server.OnPeerHandshake(hs.Noise, hs.PeerAddress, req);
            if (reply is null || reply.Noise.Length == 0)
            {
                ServerRefused++;
                return;
            }
            switch (hs.Mode)
            {
                case RelayMode.FromClient:
                    req.Reply(new HandshakeMessage(RelayMode.Reply, reply.Noise).Encode(), token: false, closerNodes: false, socket: reply.Socket);
                    return;
                case RelayMode.FromRelay:
                    req.Relay(new HandshakeMessage(RelayMode.FromServer, reply.Noise, hs.PeerAddress).Encode(), req.From, reply.Socket);
                    return;
                case RelayMode.FromSecondRelay when hs.RelayAddress is { } first:
                    req.Relay(new HandshakeMessage(RelayMode.FromServer, reply.Noise, hs.PeerAddress).Encode(), first, reply.Socket);
                    return;
                default:
                    DroppedMalformed++;
                    return;
            }
        }

        var relay = route?.Relay;
        switch (hs.Mode)
        {
            case RelayMode.FromClient:
                if (hs.Noise.Length == 0) break;
                if (relay is null && hs.RelayAddress is null)
                {
                    req.Reply(null, token: false, closerNodes: true);
                    return;
                }
                Forwarded++;
                req.Relay(new HandshakeMessage(RelayMode.FromRelay, hs.Noise, req.From).Encode(), hs.RelayAddress ?? relay!.Value);
                return;
            case RelayMode.FromRelay:
                if (relay is null)
                {
                    DroppedNoRoute++;
                    return;
                }
                if (hs.Noise.Length == 0) break;
                Forwarded++;
                req.Relay(new HandshakeMessage(RelayMode.FromSecondRelay, hs.Noise, hs.PeerAddress, req.From).Encode(), relay.Value);
                return;
            case RelayMode.FromServer:
                if (hs.PeerAddress is not { } client || hs.Noise.Length == 0) break;
                Forwarded++;
                req.Reply(new HandshakeMessage(RelayMode.Reply, hs.Noise, req.From).Encode(), token: false, closerNodes: false, to: client);
                return;
        }
        DroppedMalformed++;
    }

    public void OnPeerHolepunch(DhtIncomingRequest req)
    {
        if (req.Value is null || !HolepunchMessage.TryDecode(req.Value, out var hp))
        {
            DroppedMalformed++;
            return;
        }
        var route = req.Target is null ? null : Get(req.Target);
        switch (hp.Mode)
        {
            case RelayMode.FromClient:
            {
                var to = hp.PeerAddress ?? route?.Relay;
                if (to is null)
                {
                    DroppedNoRoute++;
                    return;
                }
                Forwarded++;
                req.Relay(new HolepunchMessage(RelayMode.FromRelay, hp.Id, hp.Payload, req.From).Encode(), to.Value);
                return;
            }
            case RelayMode.FromRelay:
            {
                if (route?.Server is not { } server)
                {
                    DroppedNoRoute++;
                    return;
                }
                if (hp.PeerAddress is not { } peer)
                {
                    DroppedMalformed++;
                    return;
                }
                var reply = server.OnPeerHolepunch(hp.Id, hp.Payload, peer, req);
                if (reply is null)
                {
                    ServerRefused++;
                    return;
                }
                req.Relay(new HolepunchMessage(RelayMode.FromServer, 0, reply.Payload, peer).Encode(), req.From, reply.Socket);
                return;
            }
            case RelayMode.FromServer:
            {
                if (hp.PeerAddress is not { } client)
                {
                    DroppedMalformed++;
                    return;
                }
                Forwarded++;
                req.Reply(new HolepunchMessage(RelayMode.Reply, hp.Id, hp.Payload, req.From).Encode(), token: false, closerNodes: false, to: client);
                return;
            }
        }
        DroppedMalformed++;
    }
}
