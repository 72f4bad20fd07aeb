// Finding and announcing (hyperdht index.js lookup, announce, unannounce, findPeer, _requestAnnounce;
// spec/hyperswarm.md §3.3). All are dht-rpc queries towards the topic (or hash(publicKey)):
//   lookup      LOOKUP; every reply may carry peer records
//   announce    LOOKUP (its replies streamed, peers and all), then commit to each of the (≤ 20) closest persistent nodes an ANNOUNCE signed
//               over that node's id and the token it just gave us
//   unannounce  LOOKUP; every reply that lists our key (or 20 peers) gets a signed UNANNOUNCE at once
//   findPeer    FIND_PEER for hash(publicKey): which nodes hold a route to that server
using System.Runtime.CompilerServices;
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;

namespace Cabal.Net.HyperDht;

/// <summary>One node's answer to a LOOKUP.</summary>
public sealed record LookupNodeReply(Ipv4EndPoint From, byte[]? FromId, Ipv4EndPoint To, byte[]? Token, IReadOnlyList<PeerRecord> Peers, ulong Bump);

/// <summary>A finished lookup: every peer found (one per public key) and the replies they came in.</summary>
public sealed record LookupResult(IReadOnlyList<PeerRecord> Peers, IReadOnlyList<LookupNodeReply> Replies, IReadOnlyList<Ipv4EndPoint> ClosestNodes);

/// <summary>A finished announce: the nodes that accepted the record.</summary>
public sealed record AnnounceResult(IReadOnlyList<Ipv4EndPoint> Nodes, IReadOnlyList<Ipv4EndPoint> ClosestNodes);

/// <summary>A node holding a route to a server, with the server's record.</summary>
public sealed record FindPeerReply(Ipv4EndPoint From, byte[]? FromId, byte[]? Token, PeerRecord Peer);

public sealed partial class HyperDht
{
    /// <summary>Streams every LOOKUP reply that carries peers, as it arrives.</summary>
    public async IAsyncEnumerable<LookupNodeReply> Lookup(byte[] topic, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var query = StartQuery(topic, HyperDhtCommand.Lookup);
        using var registration = cancellationToken.Register(query.Cancel);
        await foreach (var reply in query.Replies.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            if (ToLookupReply(reply) is { } r) yield return r;
        cancellationToken.ThrowIfCancellationRequested();
        await query.Completion.ConfigureAwait(false);
    }

    /// <summary>Runs a LOOKUP query to the end and returns every peer announced under <paramref name="topic"/>.</summary>
    public async Task<LookupResult> LookupAsync(byte[] topic, CancellationToken cancellationToken = default)
    {
        var replies = new List<LookupNodeReply>();
        var query = StartQuery(topic, HyperDhtCommand.Lookup);
        using (cancellationToken.Register(query.Cancel))
        {
            await foreach (var reply in query.Replies.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                if (ToLookupReply(reply) is { } r) replies.Add(r);
            cancellationToken.ThrowIfCancellationRequested();
            await query.Completion.ConfigureAwait(false);
        }
        var peers = new Dictionary<string, PeerRecord>();
        foreach (var r in replies)
            foreach (var p in r.Peers)
                peers.TryAdd(Convert.ToHexStringLower(p.PublicKey), p);
        HyperDhtLog.LookedUp(_log, Convert.ToHexStringLower(topic), peers.Count, replies.Count);
        return new LookupResult([.. peers.Values], replies, query.ClosestNodes);
    }

    /// <summary>
    /// Announces <paramref name="keyPair"/>'s public key under <paramref name="topic"/> on the closest
    /// nodes, with up to 3 relay addresses (where handshakes for us can be sent). Records expire after
    /// about 20 minutes: announce again before then. Throws if no node accepted it.
    /// </summary>
    public async Task<AnnounceResult> AnnounceAsync(byte[] topic, KeyPair keyPair, IReadOnlyList<Ipv4EndPoint>? relayAddresses = null, CancellationToken cancellationToken = default)
    {
        var query = StartAnnounce(topic, keyPair, relayAddresses);
        await query.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Announced(topic, query);
    }

    /// <summary>
    /// The same announce, streaming the LOOKUP replies of its first phase as they arrive (hyperdht's
    /// announce is a query stream): a swarm dials the peers already on the topic while the announce is
    /// still looking for the closest nodes, not after it has committed. Ends once the commit is done;
    /// throws if no node accepted it.
    /// </summary>
    public async IAsyncEnumerable<LookupNodeReply> Announce(byte[] topic, KeyPair keyPair, IReadOnlyList<Ipv4EndPoint>? relayAddresses = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var query = StartAnnounce(topic, keyPair, relayAddresses);
        using var registration = cancellationToken.Register(query.Cancel);
        await foreach (var reply in query.Replies.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            if (ToLookupReply(reply) is { } r) yield return r;
        cancellationToken.ThrowIfCancellationRequested();
        await query.Completion.ConfigureAwait(false);
        Announced(topic, query);
    }

    private DhtQuery StartAnnounce(byte[] topic, KeyPair keyPair, IReadOnlyList<Ipv4EndPoint>? relayAddresses)
    {
        CheckTopic(topic);
        CheckKeyPair(keyPair);
        var peer = new PeerRecord(keyPair.PublicKey, relayAddresses ?? []);
        return StartQuery(topic, HyperDhtCommand.Lookup, new DhtQueryOptions
        {
            Commit = reply => reply.FromId is null || reply.Token is null ? null : new DhtCommit(HyperDhtCommand.Announce,
                new AnnounceMessage(peer, null, AnnounceSignature.SignAnnounce(topic, reply.FromId, reply.Token, peer, default, keyPair.SecretKey!)).Encode()),
        });
    }

    private AnnounceResult Announced(byte[] topic, DhtQuery query)
    {
        HyperDhtLog.Announced(_log, Convert.ToHexStringLower(topic), query.CommittedNodes.Count);
        return new AnnounceResult(query.CommittedNodes, query.ClosestNodes);
    }

    /// <summary>
    /// Removes <paramref name="keyPair"/>'s record for <paramref name="topic"/> from every node that
    /// lists it (dht lookupAndUnannounce). Returns how many nodes confirmed.
    /// </summary>
    public async Task<int> UnannounceAsync(byte[] topic, KeyPair keyPair, CancellationToken cancellationToken = default)
    {
        CheckTopic(topic);
        CheckKeyPair(keyPair);
        Node.Invoke(() => _persistent?.Unannounce(topic, keyPair.PublicKey));
        var peer = new PeerRecord(keyPair.PublicKey, []);
        var unannounces = new List<Task<bool>>();
        var query = StartQuery(topic, HyperDhtCommand.Lookup);
        using (cancellationToken.Register(query.Cancel))
        {
            await foreach (var reply in query.Replies.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (reply.Token is null || reply.FromId is null || ToLookupReply(reply) is not { } r) continue;
                if (r.Peers.Count < 20 && !r.Peers.Any(p => p.PublicKey.AsSpan().SequenceEqual(keyPair.PublicKey))) continue;
                var value = new AnnounceMessage(peer, null, AnnounceSignature.SignUnannounce(topic, reply.FromId, reply.Token, peer, keyPair.SecretKey!)).Encode();
                unannounces.Add(RequestOkAsync(reply.From, new DhtRequestOptions { Command = HyperDhtCommand.Unannounce, Target = topic, Token = reply.Token, Value = value }));
            }
            cancellationToken.ThrowIfCancellationRequested();
            await query.Completion.ConfigureAwait(false);
        }
        var results = await Task.WhenAll(unannounces).ConfigureAwait(false);
        var confirmed = results.Count(ok => ok);
        HyperDhtLog.Unannounced(_log, Convert.ToHexStringLower(topic), confirmed);
        return confirmed;
    }

    /// <summary>Nodes that hold a route to the server with <paramref name="publicKey"/> (FIND_PEER).</summary>
    public async Task<IReadOnlyList<FindPeerReply>> FindPeerAsync(byte[] publicKey, CancellationToken cancellationToken = default)
    {
        if (publicKey is not { Length: 32 }) throw new ArgumentException("A public key is 32 bytes.", nameof(publicKey));
        var found = new List<FindPeerReply>();
        var query = StartQuery(HyperDhtKeys.Hash(publicKey), HyperDhtCommand.FindPeer);
        using (cancellationToken.Register(query.Cancel))
        {
            await foreach (var reply in query.Replies.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                if (reply.Value is not null && PeerRecord.TryDecode(reply.Value, out var peer))
                    found.Add(new FindPeerReply(reply.From, reply.FromId, reply.Token, peer));
            cancellationToken.ThrowIfCancellationRequested();
            await query.Completion.ConfigureAwait(false);
        }
        return found;
    }

    private DhtQuery StartQuery(byte[] target, ulong command, DhtQueryOptions? options = null)
    {
        CheckTopic(target);
        return Node.Query(target, command, null, options);
    }

    private async Task<bool> RequestOkAsync(Ipv4EndPoint to, DhtRequestOptions request)
    {
        try
        {
            return (await Node.RequestAsync(to, request).ConfigureAwait(false)).Error == 0;
        }
        catch (Exception e) when (e is DhtRequestException or ObjectDisposedException)
        {
            return false;
        }
    }

    private static LookupNodeReply? ToLookupReply(DhtReply reply)
    {
        if (reply.Value is null || !LookupReply.TryDecode(reply.Value, out var l)) return null;
        return new LookupNodeReply(reply.From, reply.FromId, reply.To, reply.Token, l.Peers, l.Bump);
    }

    private static void CheckTopic(byte[] topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Length != 32) throw new ArgumentException("A topic is 32 bytes.", nameof(topic));
    }

    private static void CheckKeyPair(KeyPair keyPair)
    {
        ArgumentNullException.ThrowIfNull(keyPair);
        if (keyPair.PublicKey is not { Length: 32 } || keyPair.SecretKey is not { Length: 64 })
            throw new ArgumentException("Announcing needs an Ed25519 key pair with its 64-byte secret key.", nameof(keyPair));
    }
}
