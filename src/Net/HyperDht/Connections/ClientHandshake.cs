// The client's side of PEER_HANDSHAKE (hyperdht lib/connect.js connectThroughNode, lib/router.js
// peerHandshake; spec/hyperswarm.md §3.5, §3.7), as pure state:
//   * Noise IK message 1 is built once, with our payload {firewall, addresses4, udx{id, seq 0},
//     secretStream}; every relay attempt and every retransmission carries the identical bytes, so the
//     server (which keys its state by msg1) answers them all the same;
//   * the request is PEER_HANDSHAKE{FROM_CLIENT, msg1} for target hash(server key), sent to the server
//     itself or to any node holding its route;
//   * a reply is accepted only if it is a REPLY with noise, from exactly the address we sent to; then
//     message 2 must authenticate and its payload be version 1, error 0, with UDX stream data;
//   * the first accepted reply completes the handshake; later ones (other relays) are ignored.
// What to do next (connect the UDX stream, LAN shortcut, holepunch) is the connector's job, with the
// result's addresses and the server's payload.
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;
using Cabal.Net.Noise;
using Cabal.Net.NoiseIk;

namespace Cabal.Net.HyperDht;

/// <summary>A completed client handshake.</summary>
public sealed record ClientHandshakeResult(
    NoiseIkResult Noise,
    NoisePayload ServerPayload,
    bool Relayed,
    Ipv4EndPoint ServerAddress,
    Ipv4EndPoint ClientAddress,
    Ipv4EndPoint RelayAddress,
    byte[] HolepunchSecret);

public sealed class ClientHandshake : IDisposable
{
    private readonly NoiseIkHandshake _noise;
    private readonly byte[] _message1;

    public ClientHandshake(KeyPair keyPair, byte[] remotePublicKey, NoisePayload payload, KeyPair? ephemeral = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (remotePublicKey is not { Length: 32 }) throw new ArgumentException("A server key is 32 bytes.", nameof(remotePublicKey));
        RemotePublicKey = remotePublicKey;
        Target = HyperDhtKeys.Hash(remotePublicKey);
        Payload = payload;
        _noise = new NoiseIkHandshake(true, keyPair, remotePublicKey, Namespaces.PeerHandshake, ephemeral);
        _message1 = _noise.WriteMessage(payload.Encode());
    }

    public byte[] RemotePublicKey { get; }

    /// <summary>hash(server key): the PEER_HANDSHAKE target.</summary>
    public byte[] Target { get; }

    public NoisePayload Payload { get; }

    public byte[] Message1 => _message1;

    public ClientHandshakeResult? Result { get; private set; }

    /// <summary>The PEER_HANDSHAKE request value: FROM_CLIENT with message 1 (and optionally the relay to route through).</summary>
    public byte[] RequestValue(Ipv4EndPoint? relayAddress = null) => new HandshakeMessage(RelayMode.FromClient, _message1, null, relayAddress).Encode();

    /// <summary>
    /// Checks a reply to the request we sent to <paramref name="sentTo"/>. Returns the result (the first
    /// accepted reply completes the handshake; once complete, returns it again). Throws HyperDhtException
    /// for a reply that is not an acceptable handshake reply.
    /// </summary>
    public ClientHandshakeResult OnReply(DhtReply reply, Ipv4EndPoint sentTo)
    {
        if (Result is { } done) return done;
        if (reply.Value is null || !HandshakeMessage.TryDecode(reply.Value, out var hs) || hs.Mode != RelayMode.Reply || hs.Noise.Length == 0 || reply.From != sentTo)
            throw new HyperDhtException("BAD_HANDSHAKE_REPLY", "Bad handshake reply");

        byte[] plain;
        try
        {
            plain = _noise.ReadMessage(hs.Noise);
        }
        catch (NoiseHandshakeException e)
        {
            throw new HyperDhtException("BAD_HANDSHAKE_REPLY", "The server's handshake message did not authenticate: " + e.Message);
        }
        if (!NoisePayload.TryDecode(plain, out var payload)) throw new HyperDhtException("BAD_HANDSHAKE_REPLY", "Undecodable server payload");
        if (payload.Version != 1) throw new HyperDhtException("SERVER_INCOMPATIBLE", $"Server is using an incompatible version ({payload.Version})");
        if (payload.Error != PayloadError.None) throw new HyperDhtException("SERVER_ERROR", $"Server returned an error ({payload.Error})");
        if (payload.Udx is null) throw new HyperDhtException("SERVER_ERROR", "Server did not send UDX data");

        var noise = _noise.Result!;
        Result = new ClientHandshakeResult(noise, payload, hs.PeerAddress is not null, hs.PeerAddress ?? sentTo, reply.To, sentTo,
            HolepunchBox.SecretFromHandshakeHash(noise.HandshakeHash));
        return Result;
    }

    public void Dispose() => _noise.Dispose();
}
