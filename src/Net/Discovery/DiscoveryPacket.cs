namespace Cabal.Net.Discovery;

/// <summary>What a LAN discovery datagram says.</summary>
public enum DiscoveryPacketType : byte
{
    /// <summary>"I am on these topics, dial me on this port."</summary>
    Announce = 1,
    /// <summary>"Who is on these topics?" Also an announcement when Port is not 0.</summary>
    Query = 2,
}

/// <summary>
/// One discovery datagram. <paramref name="PeerId"/> is the sender's Noise static public key (32 bytes),
/// <paramref name="Port"/> its TCP listening port (0: not listening, only allowed in queries),
/// <paramref name="Topics"/> 1–16 discovery keys (32 bytes each; never cabal keys).
/// </summary>
public sealed record DiscoveryPacket(DiscoveryPacketType Type, byte[] PeerId, int Port, IReadOnlyList<byte[]> Topics);
