// Being reachable by public key (hyperdht lib/server.js listen, lib/announcer.js; spec/hyperswarm.md
// §3.4). Listen registers the server's route on this node's router and starts the announcer:
//   1. FIND_PEER query for hash(publicKey); the first 3 closest replies become our relays, each sent a
//      signed self-ANNOUNCE (peer{publicKey, relayAddresses: []}) with its token;
//   2. relays that accepted: (relay address, our address as it sees us) go into handshake payloads; our
//      RelayAddresses (≤ 3: our own address if reachable, then the relays) into topic announcements;
//   3. ping the relays every 3 s (keeping the NAT mapping they forward to alive) from the socket we
//      announced from; re-announce every 5 minutes, or sooner when relays stop answering.
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.HyperDht;

public sealed partial class HyperDht
{
    private static readonly TimeSpan RelayPingInterval = TimeSpan.FromSeconds(3);
    private const int PingRoundsPerAnnounce = 100;

    private readonly List<(HyperDhtServer Server, CancellationTokenSource Stop, Task Loop)> _servers = [];

    internal ILogger Logger => _log;

    /// <summary>
    /// Listens on <paramref name="keyPair"/>: handshakes for it are answered by this node, and its route
    /// is kept on the closest DHT nodes. <paramref name="transport"/> supplies the UDX streams.
    /// </summary>
    public HyperDhtServer Listen(KeyPair keyPair, IServerTransport transport, Func<byte[], NoisePayload, Ipv4EndPoint, bool>? firewall = null)
    {
        CheckKeyPair(keyPair);
        ArgumentNullException.ThrowIfNull(transport);
        var server = new HyperDhtServer(this, keyPair, transport, firewall);
        Node.Invoke(() =>
        {
            if (Router.Get(server.Target)?.Server is not null) throw new InvalidOperationException("ALREADY_LISTENING: this key pair is already listening on this node.");
            Router.Set(server.Target, new RouteEntry(null, new PeerRecord(keyPair.PublicKey, []).Encode(), server));
        });
        var stop = new CancellationTokenSource();
        var loop = Task.Run(() => AnnounceLoopAsync(server, stop.Token));
        lock (_servers) _servers.Add((server, stop, loop));
        return server;
    }

    /// <summary>Runs one announce round now (FIND_PEER, then self-announce to the 3 closest); returns the relays.</summary>
    public async Task<IReadOnlyList<RelayInfo>> AnnounceSelfAsync(HyperDhtServer server, CancellationToken cancellationToken = default)
    {
        var keyPair = server.KeyPair;
        var peer = new PeerRecord(keyPair.PublicKey, []);
        var query = StartQuery(server.Target, HyperDhtCommand.FindPeer);
        await query.WaitAsync(cancellationToken).ConfigureAwait(false);
        var best = query.ClosestReplies.Where(r => r.Token is not null && r.FromId is not null).Take(3).ToList();
        var announces = best.Select(async reply =>
        {
            var value = new AnnounceMessage(peer, null, AnnounceSignature.SignAnnounce(server.Target, reply.FromId, reply.Token, peer, default, keyPair.SecretKey!)).Encode();
            var ok = await RequestOkAsync(reply.From, new DhtRequestOptions { Command = HyperDhtCommand.Announce, Target = server.Target, Token = reply.Token, Value = value }).ConfigureAwait(false);
            return ok ? new RelayInfo(reply.From, reply.To) : (RelayInfo?)null;
        });
        var relays = (await Task.WhenAll(announces).ConfigureAwait(false)).OfType<RelayInfo>().ToList();
        var addresses = new List<Ipv4EndPoint>();
        if (Node.RemoteAddress is { } self) addresses.Add(self);
        foreach (var r in relays)
            if (addresses.Count < 3) addresses.Add(r.RelayAddress);
        Node.Invoke(() =>
        {
            server.Relays = relays;
            server.RelayAddresses = addresses;
        });
        return relays;
    }

    private async Task AnnounceLoopAsync(HyperDhtServer server, CancellationToken cancellationToken)
    {
        try
        {
            await WaitReadyAsync(cancellationToken).ConfigureAwait(false);
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await AnnounceSelfAsync(server, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    HyperDhtLog.AnnouncerFailed(_log, e);
                }
                for (var i = 0; i < PingRoundsPerAnnounce; i++)
                {
                    await Task.Delay(RelayPingInterval, Options.Time, cancellationToken).ConfigureAwait(false);
                    var relays = server.Relays;
                    if (relays.Count == 0) break;
                    var pings = await Task.WhenAll(relays.Select(r => PingOkAsync(r.RelayAddress, cancellationToken))).ConfigureAwait(false);
                    if (pings.Count(ok => ok) < Math.Min(relays.Count, 3)) break;
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    private async Task<bool> PingOkAsync(Ipv4EndPoint to, CancellationToken cancellationToken)
    {
        try
        {
            await Node.PingAsync(to, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is DhtRequestException or ObjectDisposedException)
        {
            return false;
        }
    }

    private async Task StopListeningAsync()
    {
        List<(HyperDhtServer Server, CancellationTokenSource Stop, Task Loop)> servers;
        lock (_servers)
        {
            servers = [.. _servers];
            _servers.Clear();
        }
        foreach (var (server, stop, loop) in servers)
        {
            stop.Cancel();
            try { await loop.ConfigureAwait(false); } catch (Exception) { }
            stop.Dispose();
            Node.Invoke(() => Router.Remove(server.Target));
        }
    }
}
