// Connecting by public key (hyperdht lib/connect.js; spec/hyperswarm.md §3.6–§3.10). ClientConnector runs
// one attempt: the UDX stream first (its id goes in our handshake payload), the Noise handshake through
// relays, then the path (direct, OPEN server, LAN, holepunch), then secret-stream over the stream.
using Cabal.Net.Crypto;

namespace Cabal.Net.HyperDht;

public sealed partial class HyperDht
{
    /// <summary>
    /// Connects to the server listening on <paramref name="publicKey"/>. Returns once the encrypted stream
    /// is up and the server's first frame has arrived. Throws HyperDhtException with hyperdht's code when it
    /// cannot: PEER_NOT_FOUND (no node knew the key), PEER_CONNECTION_FAILED (no handshake), SERVER_ERROR,
    /// CANNOT_HOLEPUNCH, HOLEPUNCH_ABORTED, HOLEPUNCH_PROBE_TIMEOUT, HOLEPUNCH_DOUBLE_RANDOMIZED_NATS,
    /// REMOTE_ABORTED, REMOTE_NOT_HOLEPUNCHABLE, … or CONNECT_TIMEOUT after the options' timeout;
    /// OperationCanceledException when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public Task<HyperDhtConnection> ConnectAsync(byte[] publicKey, ConnectOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (publicKey.Length != 32) throw new ArgumentException("A public key is 32 bytes.", nameof(publicKey));
        options ??= new ConnectOptions();
        var keyPair = options.KeyPair ?? DefaultKeyPair;
        CheckKeyPair(keyPair);
        if (options.Timeout is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "Timeout must be positive.");
        if (Udx is null) throw new InvalidOperationException("Connecting needs UDX sockets; this node was given its own SocketFactory.");
        return new ClientConnector(this, publicKey, keyPair, options).RunAsync(cancellationToken);
    }
}
