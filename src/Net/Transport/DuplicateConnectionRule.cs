// Which of two connections to the same remote identity to keep. Both ends must pick the same one
// without talking to each other, or each closes the one the other kept and they reconnect forever.
// Both ends see the same two inputs: who initiated each connection (as a static key) and each
// connection's Noise handshake hash (identical on both ends of a connection, unique per connection).
namespace Cabal.Net.Transport;

internal static class DuplicateConnectionRule
{
    /// <summary>
    /// True if the candidate should replace the existing connection. The connection initiated by the
    /// smaller static key wins (so when both dialled at once, the smaller key's dial survives, which is
    /// also the side LAN discovery asks to dial); for two connections with the same initiator, the smaller
    /// handshake hash wins.
    /// </summary>
    public static bool PreferCandidate(
        ReadOnlySpan<byte> localKey, ReadOnlySpan<byte> remoteKey,
        bool existingIsInitiator, ReadOnlySpan<byte> existingHash,
        bool candidateIsInitiator, ReadOnlySpan<byte> candidateHash)
    {
        if (existingIsInitiator != candidateIsInitiator)
        {
            var candidateInitiator = candidateIsInitiator ? localKey : remoteKey;
            var existingInitiator = existingIsInitiator ? localKey : remoteKey;
            return candidateInitiator.SequenceCompareTo(existingInitiator) < 0;
        }
        return candidateHash.SequenceCompareTo(existingHash) < 0;
    }
}
