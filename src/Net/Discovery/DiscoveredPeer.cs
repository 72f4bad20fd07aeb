using System.Net;

namespace Cabal.Net.Discovery;

/// <summary>A peer to dial: where (source address of its datagram + announced port), who, and for which topic.</summary>
public sealed record DiscoveredPeer(IPEndPoint EndPoint, byte[] PeerId, byte[] Topic);
