// Being reachable by public key (hyperdht lib/server.js listen, lib/announcer.js; spec/hyperswarm.md
// §3.4). Listen registers the server's route on this node's router and starts the announcer
// (disposing the server stops it and unannounces the route from the relays):
//   1. FIND_PEER query for hash(publicKey); the first 3 closest replies become our relays, each sent a
//      signed self-ANNOUNCE (peer{publicKey, relayAddresses: []}) with its token;
//   2. relays that accepted: (relay address, our address as it sees us) go into handshake payloads; our
//      RelayAddresses (≤ 3: our own address if reachable, then the relays) into topic announcements;
//   3. ping the relays every 3 s (keeping the NAT mapping they forward to alive) from the socket we
//      announced from; re-announce every 5 minutes, or sooner when relays stop answering.
// Connections to our servers go through admission control (docs/hostile-peers.md): the node holds one
// AdmissionControl (its own, or one shared with the program's TCP listeners) and a timer that closes
// pending connections whose deadline passed.
using Cabal.Net.Admission;
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
    private readonly Lock _serversGate = new();

    private readonly ITimer? _admissionSweep;

    internal ILogger Logger => _log;

    /// <summary>
    /// Admission control of connections to this node's UDX servers (HyperDhtOptions.Admission or
    /// SharedAdmission); null when turned off. Servers with a transport of the caller's skip it.
    /// </summary>
    public AdmissionControl? Admission { get; }

    private AdmissionControl? CreateAdmission(out ITimer? sweep)
    {
        sweep = null;
        var control = _options.SharedAdmission
            ?? (_options.Admission is { } a ? new AdmissionControl(a.WithDefaults(_options.Time, _options.LoggerFactory)) : null);
        if (control is null) return null;
        // Every quarter of the shortest deadline, as the TCP listeners' gates do (several sweepers of a
        // shared control are harmless: each expired ticket is handed out once).
        var interval = control.Options.MinPendingTimeout / 4;
        sweep = _options.Time.CreateTimer(_ =>
        {
            foreach (var t in control.TakeExpired()) t.RequestClose();
        }, null, interval, interval);
        return control;
    }

    /// <summary>
    /// Listens on <paramref name="keyPair"/> (default: the node's key pair): handshakes for it are answered by
    /// this node, its route is kept on the closest DHT nodes, and every client that gets through raises
    /// <paramref name="onConnection"/> (and the server's Connection event) with the connection.
    /// <paramref name="firewall"/> may refuse a client by its key, payload and address (true = refuse).
    /// Dispose the server to stop: it unannounces itself. Throws ALREADY_LISTENING if the key is in use here.
    /// </summary>
    public HyperDhtServer Listen(KeyPair? keyPair = null, Action<HyperDhtConnection>? onConnection = null,
        Func<byte[], NoisePayload, Ipv4EndPoint, bool>? firewall = null)
    {
        if (Udx is null) throw new InvalidOperationException("Accepting connections needs UDX sockets; this node was given its own SocketFactory.");
        var server = Listen(keyPair ?? DefaultKeyPair, s => new UdxServerTransport(s), firewall, Admission);
        if (onConnection is not null) server.Connection += onConnection;
        return server;
    }

    /// <summary>Listens with a transport of the caller's (tests of the DHT alone, on in-memory sockets).</summary>
    public HyperDhtServer Listen(KeyPair keyPair, IServerTransport transport, Func<byte[], NoisePayload, Ipv4EndPoint, bool>? firewall = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return Listen(keyPair, _ => transport, firewall, admission: null);
    }

    private HyperDhtServer Listen(KeyPair keyPair, Func<HyperDhtServer, IServerTransport> transport, Func<byte[], NoisePayload, Ipv4EndPoint, bool>? firewall,
        AdmissionControl? admission)
    {
        CheckKeyPair(keyPair);
        var server = new HyperDhtServer(this, keyPair, transport, firewall, admission);
        Node.Invoke(() =>
        {
            if (Router.Get(server.Target)?.Server is not null)
                throw new HyperDhtException("ALREADY_LISTENING", "This key pair is already listening on this node.");
            Router.Set(server.Target, new RouteEntry(null, new PeerRecord(keyPair.PublicKey, []).Encode(), server));
        });
        var stop = new CancellationTokenSource();
        var loop = Task.Run(() => AnnounceLoopAsync(server, stop.Token));
        lock (_serversGate) _servers.Add((server, stop, loop));
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

    /// <summary>Stops a server: its announcer, its route here, and its route on the relays (UNANNOUNCE, as hyperdht's announcer.stop).</summary>
    internal async Task StopServerAsync(HyperDhtServer server)
    {
        (HyperDhtServer Server, CancellationTokenSource Stop, Task Loop) entry;
        lock (_serversGate)
        {
            var i = _servers.FindIndex(e => e.Server == server);
            if (i < 0) return;
            entry = _servers[i];
            _servers.RemoveAt(i);
        }
        entry.Stop.Cancel();
        try { await entry.Loop.ConfigureAwait(false); } catch (Exception) { }
        entry.Stop.Dispose();
        Node.Invoke(() => Router.Remove(server.Target));
        await Task.WhenAll(server.Relays.Select(r => UnannounceSelfAsync(server, r.RelayAddress))).ConfigureAwait(false);
    }

    /// <summary>A FIND_PEER to the relay for a fresh token, then a signed UNANNOUNCE of our route there.</summary>
    private async Task UnannounceSelfAsync(HyperDhtServer server, Ipv4EndPoint relay)
    {
        try
        {
            var reply = await Node.RequestAsync(relay, new DhtRequestOptions { Command = HyperDhtCommand.FindPeer, Target = server.Target }).ConfigureAwait(false);
            if (reply.Token is null || reply.FromId is null || reply.Value is null) return;
            var peer = new PeerRecord(server.KeyPair.PublicKey, []);
            var value = new AnnounceMessage(peer, null, AnnounceSignature.SignUnannounce(server.Target, reply.FromId, reply.Token, peer, server.KeyPair.SecretKey!)).Encode();
            await RequestOkAsync(relay, new DhtRequestOptions { Command = HyperDhtCommand.Unannounce, Target = server.Target, Token = reply.Token, Value = value }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DhtRequestException or ObjectDisposedException or InvalidOperationException) { }
    }

    private async Task StopListeningAsync()
    {
        List<HyperDhtServer> servers;
        lock (_serversGate) servers = _servers.ConvertAll(e => e.Server);
        await Task.WhenAll(servers.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
    }
}
