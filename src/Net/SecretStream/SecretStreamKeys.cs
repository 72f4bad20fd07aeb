// Identifiers and keys secret-stream derives from the Noise handshake hash (@hyperswarm/secret-stream
// index.js streamId, _setupSecretSend; spec/hyperswarm.md §5.2, §5.6):
//   NS_INITIATOR, NS_RESPONDER, NS_SEND = namespace("hyperswarm/secret-stream", 0, 1, 2)
//   streamId(isInitiator) = BLAKE2b-256(message = NS_INITIATOR or NS_RESPONDER, key = handshake hash)
//   sendKey(isInitiator)  = BLAKE2b-256(message = NS_(role) || NS_SEND, key = handshake hash)
// Each side sends its own stream id in its header frame and checks the remote's against the other role.
using Cabal.Net.Crypto;
using Cabal.Net.HyperDht;

namespace Cabal.Net.SecretStream;

public static class SecretStreamKeys
{
    private static readonly byte[][] s_ns = Namespaces.Create("hyperswarm/secret-stream", 0, 1, 2);

    public static ReadOnlySpan<byte> Initiator => s_ns[0];
    public static ReadOnlySpan<byte> Responder => s_ns[1];
    public static ReadOnlySpan<byte> Send => s_ns[2];

    public static byte[] StreamId(ReadOnlySpan<byte> handshakeHash, bool isInitiator)
        => Blake2b.Hash256(isInitiator ? Initiator : Responder, handshakeHash);

    public static byte[] SendKey(ReadOnlySpan<byte> handshakeHash, bool isInitiator)
    {
        var h = new Blake2bHasher(32, handshakeHash);
        h.Update(isInitiator ? Initiator : Responder);
        h.Update(Send);
        var key = new byte[32];
        h.Final(key);
        return key;
    }
}
