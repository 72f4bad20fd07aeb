using System.Security.Cryptography;

namespace Cabal.Net.Noise;

/// <summary>
/// What a completed handshake yields (spec/hypercore.md §6.2 split, §6.3 transport). Rx/Tx are the
/// 32-byte split keys from this side's point of view (my Tx is the remote's Rx); the nonces are the
/// XSalsa20 nonces of each direction (24 bytes).
/// </summary>
public sealed class NoiseHandshakeResult(
    bool isInitiator, byte[] rx, byte[] tx, byte[] handshakeHash, byte[] remoteStaticKey, byte[] localNonce, byte[] remoteNonce)
{
    public bool IsInitiator { get; } = isInitiator;
    public byte[] Rx { get; } = rx;
    public byte[] Tx { get; } = tx;

    /// <summary>The final Noise h (64 bytes). Exposed for channel binding; hypercore itself ignores it.</summary>
    public byte[] HandshakeHash { get; } = handshakeHash;

    public byte[] RemoteStaticKey { get; } = remoteStaticKey;
    public byte[] LocalNonce { get; } = localNonce;
    public byte[] RemoteNonce { get; } = remoteNonce;

    /// <summary>Wipes the split keys once the transport ciphers and capabilities no longer need them.</summary>
    public void ClearKeys()
    {
        CryptographicOperations.ZeroMemory(Rx);
        CryptographicOperations.ZeroMemory(Tx);
    }
}
