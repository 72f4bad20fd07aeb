// Reaching a server by public key, up to the completed Noise handshake (hyperdht lib/connect.js
// findAndConnect/connectThroughNode; spec/hyperswarm.md §3.7). Relay addresses given (from a topic
// record) are tried one after another; in parallel a FIND_PEER query finds the nodes holding the
// server's route, and each of those is tried. Every attempt carries the same message 1. The first
// acceptable reply wins. What follows — connecting the UDX stream, the LAN shortcut, holepunching —
// needs UDX and is ConnectAsync's job (not in this layer yet).
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;

namespace Cabal.Net.HyperDht;

public sealed partial class HyperDht
{
    /// <summary>
    /// Runs PEER_HANDSHAKE with the server owning <paramref name="publicKey"/>. <paramref name="payload"/>
    /// is our noise payload (its udx id names our stream). Throws HyperDhtException PEER_NOT_FOUND when
    /// no node knew the key, PEER_CONNECTION_FAILED when none of them got us a handshake.
    /// </summary>
    public async Task<ClientHandshakeResult> HandshakeAsync(byte[] publicKey, KeyPair keyPair, NoisePayload payload,
        IReadOnlyList<Ipv4EndPoint>? relayAddresses = null, CancellationToken cancellationToken = default)
    {
        CheckKeyPair(keyPair);
        using var handshake = new ClientHandshake(keyPair, publicKey, payload);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tried = new HashSet<Ipv4EndPoint>();
        var attempts = new List<Task<ClientHandshakeResult?>>();
        Exception? lastError = null;

        Task<ClientHandshakeResult?> Attempt(Ipv4EndPoint to)
        {
            lock (tried)
                if (!tried.Add(to)) return Task.FromResult<ClientHandshakeResult?>(null);
            return AttemptAsync(to);
        }

        async Task<ClientHandshakeResult?> AttemptAsync(Ipv4EndPoint to)
        {
            try
            {
                var reply = await Node.RequestAsync(to, new DhtRequestOptions
                {
                    Command = HyperDhtCommand.PeerHandshake,
                    Target = handshake.Target,
                    Value = handshake.RequestValue(),
                }, done.Token).ConfigureAwait(false);
                lock (handshake) return handshake.OnReply(reply, to);
            }
            catch (Exception e) when (e is HyperDhtException or DhtRequestException)
            {
                lastError = e;
                return null;
            }
        }

        foreach (var relay in relayAddresses ?? []) attempts.Add(Attempt(relay));
        var query = StartQuery(handshake.Target, HyperDhtCommand.FindPeer, new DhtQueryOptions { Retries = 3 });
        using (done.Token.Register(query.Cancel))
        {
            try
            {
                await foreach (var reply in query.Replies.ReadAllAsync(done.Token).ConfigureAwait(false))
                    if (reply.Value is not null && PeerRecord.TryDecode(reply.Value, out _)) attempts.Add(Attempt(reply.From));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
        }

        var pending = attempts.ToList();
        while (pending.Count > 0)
        {
            var finished = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(finished);
            if (await finished.ConfigureAwait(false) is { } result)
            {
                done.Cancel();
                return result;
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        throw attempts.Count == 0
            ? new HyperDhtException("PEER_NOT_FOUND", "No DHT node knew the server's key.")
            : new HyperDhtException("PEER_CONNECTION_FAILED", "No handshake succeeded: " + lastError?.Message);
    }
}
