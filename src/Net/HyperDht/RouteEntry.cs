using Cabal.Net.Compact;
using Cabal.Net.Dht;

namespace Cabal.Net.HyperDht;

/// <summary>
/// A route for PEER_HANDSHAKE/PEER_HOLEPUNCH to a server (router.js forwards): the server's record
/// and where to forward — the address its self-announce came from (Relay) — or, for a server on this
/// node, the server itself.
/// </summary>
public sealed record RouteEntry(Ipv4EndPoint? Relay, byte[] Record, IRouteServer? Server = null);

/// <summary>A server reachable through this node's router (a listening HyperDHT server).</summary>
public interface IRouteServer
{
    /// <summary>Answers a handshake's Noise message 1; null to send nothing (undecodable, refused).</summary>
    HandshakeReply? OnPeerHandshake(byte[] noise, Ipv4EndPoint? peerAddress, DhtIncomingRequest request);

    /// <summary>Answers a holepunch round; null to send nothing.</summary>
    HolepunchReply? OnPeerHolepunch(ulong id, byte[] payload, Ipv4EndPoint peerAddress, DhtIncomingRequest request);
}

/// <summary>The server's Noise message 2, and the socket to send it from (null: the one the request came in on).</summary>
public sealed record HandshakeReply(byte[] Noise, IDatagramSocket? Socket = null);

/// <summary>The server's sealed holepunch payload, and the socket to send it from.</summary>
public sealed record HolepunchReply(byte[] Payload, IDatagramSocket? Socket = null);
