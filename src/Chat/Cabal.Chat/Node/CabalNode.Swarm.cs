// Every open cabal on the HyperDHT swarm, as cabal-core's swarm.js does it: topic =
// discoveryKey(cabalKey), joined as server and client; each swarm connection (a secret-stream duplex
// pipe) carries hypercore-protocol 8 with its own Noise handshake inside (double encryption), with
// replicate(initiator = we dialled) into the cabal's multifeed set and the peer-id extension adding
// and dropping peers (CabalNode.Network.cs OnConnection).
//
// One HyperDht per node; one HyperSwarm per cabal, each with its own key pair derived from the stored
// DHT seed. cabal-core also runs one swarm per cabal; a single node-wide swarm would keep one
// connection per remote key, so a peer sharing two cabals with us could replicate only one of them.
// Swarm connections are adopted by the cabal's ConnectionManager, so they share its connection slots
// and its one-connection-per-identity rule with the TCP connections from LAN discovery and --peer.
//
// Nothing here blocks the caller: the DHT binds its sockets at start, bootstraps in the background and
// the cabals join once queries can start (bootstrap nodes resolved), beside the bootstrap query, or at
// once for cabals opened later.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Cabal.Net;
using Cabal.Net.Crypto;
using Cabal.Net.HyperDht;
using Cabal.Net.Swarm;
using Microsoft.Extensions.Logging;
using HyperDhtNode = Cabal.Net.HyperDht.HyperDht;

namespace Cabal.Chat.Node;

public sealed partial class CabalNode
{
    /// <summary>Name given to ConnectionManager.Adopt for swarm connections (PeerConnection.Transport).</summary>
    internal const string SwarmTransport = "hyperswarm";

    private readonly Lock _swarmGate = new();
    private HyperDhtNode? _dht;
    private readonly CancellationTokenSource _dhtStop = new();
    private Task _dhtReady = Task.CompletedTask;
    private bool _dhtBootstrapped;
    private bool _dhtJoinable;
    private bool _dhtStopping;
    private string? _dhtError;
    private byte[]? _dhtSeed;

    /// <summary>DHT and swarm happenings (bootstrapped, announced, peer found); raised from network threads, keep handlers short.</summary>
    public event EventHandler<DhtEventArgs>? DhtEvent;

    /// <summary>The node's HyperDHT, while the network runs with the DHT on.</summary>
    public HyperDhtNode? Dht => _dht;

    private async Task StartDhtAsync(DhtSettings settings)
    {
        if (!settings.Enabled) return;
        var options = new HyperDhtOptions
        {
            Bootstrap = settings.Bootstrap,
            Host = settings.EffectiveHost,
            Port = settings.Port ?? HyperDhtOptions.DefaultPort,
            // Ephemeral null: adaptive. A node that NAT sampling shows reachable, and that stays up (a bot),
            // becomes a persistent DHT node and stores records for others, as hyperdht does.
            Ephemeral = null,
            KeyPair = HyperDhtKeys.KeyPair(DhtSeed()),
            // One admission control for TCP and DHT: a source's connections count on both together.
            SharedAdmission = Admission(),
            LoggerFactory = Options.LoggerFactory,
        };
        HyperDhtNode? dht = null;
        try
        {
            dht = new HyperDhtNode(options);
            await dht.StartAsync().ConfigureAwait(false);
            // dht-rpc moves on to the next free port; a pinned (forwarded) port must be this one or nothing.
            if (settings.Port is > 0 and var pinned && dht.Node.ServerAddress.Port != pinned)
            {
                await dht.DisposeAsync().ConfigureAwait(false);
                throw new DhtPortUnavailableException(pinned);
            }
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            // A pinned port in use, no IPv4: the cabals still run on LAN and --peer.
            _dhtError = e.Message;
            NodeLog.DhtUnavailable(_logger, e.Message);
            if (dht is not null) await dht.DisposeAsync().ConfigureAwait(false);
            if (settings.Port is > 0 and var pinned) throw new DhtPortUnavailableException(pinned, e);
            return;
        }
        _dht = dht;
        NodeLog.DhtStarted(_logger, dht.Node.ServerAddress.ToString(), settings.Bootstrap.Count);
        var stop = _dhtStop.Token;
        _dhtReady = Task.Run(async () =>
        {
            // The cabals join as soon as queries can start, beside the bootstrap query, as hyperswarm does
            // (its announce and lookup start from the bootstrap nodes while the table fills): a reader
            // finds its peers one bootstrap round sooner.
            try { await dht.WaitQueryableAsync(stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            CabalRuntime[] joinable;
            lock (_swarmGate)
            {
                _dhtJoinable = true;
                joinable = [.. _runtimes.Values.Where(r => r.Manager is not null)];
            }
            foreach (var r in joinable.OrderBy(r => r.Order)) JoinSwarm(r, settings);
            try { await dht.WaitReadyAsync(stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (Exception e)
            {
                _dhtError = e.Message;
                NodeLog.DhtBootstrapFailed(_logger, e);
            }
            Volatile.Write(ref _dhtBootstrapped, true);
            var answered = dht.Node.Table.Count;
            if (answered == 0) NodeLog.NoBootstrapAnswered(_logger, string.Join(", ", settings.Bootstrap));
            else NodeLog.DhtBootstrapped(_logger, answered);
            RaiseDht(new DhtEventArgs(answered == 0 ? DhtEventKind.NoBootstrap : DhtEventKind.Bootstrapped, null, null));
        });
    }

    /// <summary>Joins the cabal's topic once the DHT can run queries; before that, the DHT start task joins it.</summary>
    private void JoinSwarm(CabalRuntime runtime, DhtSettings settings)
    {
        lock (_swarmGate)
        {
            if (_dht is not { } dht || !_dhtJoinable || _dhtStopping || runtime.Swarm is not null || runtime.Manager is null) return;
            var topic = HypercoreCrypto.DiscoveryKey(runtime.Core.Url.Key);
            var swarm = new HyperSwarm(dht, SwarmKeyPair(topic), (settings.Swarm ?? new SwarmOptions()) with { LoggerFactory = Options.LoggerFactory });
            var cabal = runtime.Core.KeyHex;
            swarm.Connection += conn => OnSwarmConnection(runtime, conn);
            swarm.Announced += t =>
            {
                runtime.Announced = true;
                RaiseDht(new DhtEventArgs(DhtEventKind.Announced, cabal, null));
            };
            swarm.PeerFound += (_, key) => RaiseDht(new DhtEventArgs(DhtEventKind.PeerFound, cabal, key.ToString()));
            runtime.Swarm = swarm;
            runtime.Topic = topic;
            swarm.Join(topic, server: true, client: true);
            NodeLog.SwarmJoined(_logger, cabal, Convert.ToHexStringLower(topic));
        }
    }

    private void OnSwarmConnection(CabalRuntime runtime, HyperDhtConnection conn)
    {
        var remote = conn.RemoteEndPoint ?? new IPEndPoint(IPAddress.Any, 0);
        if (runtime.Manager is { } manager && manager.Adopt(conn, conn.IsInitiator, remote, SwarmTransport, closeWith: conn.CloseAsync)) return;
        NodeLog.SwarmConnectionRefused(_logger, runtime.Core.KeyHex, conn.ToString());
        _ = conn.DisposeAsync().AsTask();
    }

    // Each cabal's swarm key: stable across restarts (peers' duplicate rule and the DHT's records see the
    // same key), different per cabal (one connection per key and cabal), unlinkable across cabals.
    private KeyPair SwarmKeyPair(byte[] topic)
    {
        var seed = HMACSHA256.HashData(DhtSeed(), (byte[])[.. "cabal-dotnet swarm key"u8, .. topic]);
        return HyperDhtKeys.KeyPair(seed);
    }

    private byte[] DhtSeed() => _dhtSeed ??= ReadOrCreateSeed(Paths.DhtKeyFile, 32);

    private void RaiseDht(DhtEventArgs e)
    {
        try { DhtEvent?.Invoke(this, e); }
        catch (Exception error) { NodeLog.HandlerFailed(_logger, error); }
    }

    /// <summary>The DHT's state now: for `cabal info --json`, the bot's status and the client's status line.</summary>
    public DhtStatus DhtState()
    {
        if (_network is null || !_network.Dht.Enabled) return new DhtStatus { State = DhtStatus.Off };
        var dht = _dht;
        if (dht is null) return new DhtStatus { State = DhtStatus.Unavailable, Error = _dhtError };
        var node = dht.Node;
        var bootstrapped = Volatile.Read(ref _dhtBootstrapped);
        var nodes = node.Table.Count;
        var announced = new List<string>();
        int found = 0, connecting = 0;
        foreach (var r in _runtimes.Values)
        {
            if (r.Swarm is not { } s) continue;
            if (r.Announced && r.Topic is { } t) announced.Add(Convert.ToHexStringLower(t));
            found += s.Engine.KnownPeers;
            connecting += s.Engine.Connecting;
        }
        return new DhtStatus
        {
            State = !bootstrapped ? DhtStatus.Bootstrapping : nodes == 0 ? DhtStatus.NoBootstrap : DhtStatus.Online,
            Bootstrapped = bootstrapped,
            Nodes = nodes,
            Firewalled = node.Firewalled,
            Persistent = !node.Ephemeral,
            PublicAddress = (node.RemoteAddress ?? node.SampledAddress)?.ToString(),
            LocalAddress = node.ServerAddress.ToString(),
            AnnouncedTopics = announced,
            PeersFound = found,
            Connecting = connecting,
            Error = _dhtError,
        };
    }

    /// <summary>Peers connected to the cabal (with a peer-id) by where the connection came from: dht, lan, direct.</summary>
    public IReadOnlyDictionary<string, int> ConnectedPeersBySource(CabalCore cabal)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal) { [PeerSource.Dht] = 0, [PeerSource.Lan] = 0, [PeerSource.Direct] = 0 };
        if (!_runtimes.TryGetValue(cabal.KeyHex, out var r)) return counts;
        foreach (var pc in r.Peers.Keys)
            if (r.Kinds.TryGetValue(pc, out var source)) counts[source] = counts.GetValueOrDefault(source) + 1;
        return counts;
    }

    /// <summary>Peers found for the cabal and not yet forgotten, by source: dht (swarm), lan (discovery), direct (--peer).</summary>
    public IReadOnlyDictionary<string, int> FoundPeersBySource(CabalCore cabal)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal) { [PeerSource.Dht] = 0, [PeerSource.Lan] = 0, [PeerSource.Direct] = 0 };
        if (!_runtimes.TryGetValue(cabal.KeyHex, out var r)) return counts;
        counts[PeerSource.Dht] = r.Swarm?.Engine.KnownPeers ?? 0;
        counts[PeerSource.Lan] = r.LanFound.Count;
        counts[PeerSource.Direct] = _network?.Peers.Count ?? 0;
        return counts;
    }

    /// <summary>Leaves every topic (bounded by LeaveTimeout) and closes the DHT; connections close with their managers.</summary>
    private async Task StopSwarmsAsync()
    {
        HyperSwarm[] swarms;
        lock (_swarmGate)
        {
            _dhtStopping = true;
            swarms = [.. _runtimes.Values.Select(r => r.Swarm).OfType<HyperSwarm>()];
        }
        await _dhtStop.CancelAsync().ConfigureAwait(false);
        var leave = _network?.Dht.LeaveTimeout ?? TimeSpan.Zero;
        var leaving = Task.WhenAll(swarms.Select(s => s.DisposeAsync().AsTask()));
        try { await leaving.WaitAsync(leave).ConfigureAwait(false); }
        catch (TimeoutException) { NodeLog.LeaveTimedOut(_logger, leave); }
        catch (Exception e) { NodeLog.HandlerFailed(_logger, e); }
        if (_dht is { } dht)
        {
            // Closing the DHT fails what is still waiting on it, so the swarms finish too.
            try { await dht.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
            catch (Exception e) { NodeLog.HandlerFailed(_logger, e); }
        }
        try { await leaving.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch (Exception) { }
    }
}

/// <summary>The DHT's pinned UDP port (DhtSettings.Port, `seed --dht-port`) could not be bound.</summary>
public sealed class DhtPortUnavailableException(int port, Exception? inner = null)
    : IOException($"Cannot bind the DHT's UDP port {port}: it is in use or not permitted.", inner)
{
    public int Port { get; } = port;
}

/// <summary>Where a peer connection came from.</summary>
/// <summary>The kinds of connection the DHT state counts: found on the swarm, on the LAN, or given (--peer, /connect, remembered, inbound).</summary>
public static class PeerSource
{
    public const string Dht = "dht", Lan = "lan", Direct = "direct";
}

public enum DhtEventKind
{
    /// <summary>Bootstrapping finished and DHT nodes answered.</summary>
    Bootstrapped,
    /// <summary>Bootstrapping finished and no bootstrap node answered.</summary>
    NoBootstrap,
    /// <summary>A cabal's topic was announced (each refresh).</summary>
    Announced,
    /// <summary>A lookup on a cabal's topic returned a peer not known before.</summary>
    PeerFound,
}

/// <summary>A DHT happening; <see cref="CabalKey"/> and <see cref="PeerKey"/> (swarm key, hex) when it concerns one.</summary>
public sealed class DhtEventArgs(DhtEventKind kind, string? cabalKey, string? peerKey) : EventArgs
{
    public DhtEventKind Kind { get; } = kind;
    public string? CabalKey { get; } = cabalKey;
    public string? PeerKey { get; } = peerKey;
}

/// <summary>The node's DHT state (<see cref="CabalNode.DhtState"/>).</summary>
public sealed record DhtStatus
{
    public const string Off = "off", Unavailable = "unavailable", Bootstrapping = "bootstrapping", NoBootstrap = "no-bootstrap", Online = "online";

    /// <summary>off, unavailable (no socket), bootstrapping, no-bootstrap (no bootstrap node answered), online.</summary>
    public required string State { get; init; }
    public bool Bootstrapped { get; init; }
    /// <summary>DHT nodes in our routing table.</summary>
    public int Nodes { get; init; }
    /// <summary>True until the DHT shows unsolicited packets reach us (firewalled), false once open.</summary>
    public bool Firewalled { get; init; } = true;
    /// <summary>A persistent DHT node (stores records for others), as a reachable, long-running node becomes.</summary>
    public bool Persistent { get; init; }
    /// <summary>Our public address as DHT nodes see it, when known.</summary>
    public string? PublicAddress { get; init; }
    public string? LocalAddress { get; init; }
    /// <summary>Discovery keys (hex) of the cabals announced so far.</summary>
    public IReadOnlyList<string> AnnouncedTopics { get; init; } = [];
    public int PeersFound { get; init; }
    public int Connecting { get; init; }
    public string? Error { get; init; }

    /// <summary>A short line for a status bar.</summary>
    public string Summary => State switch
    {
        Online => $"DHT {(Firewalled ? "firewalled" : "open")}, {Nodes} nodes",
        NoBootstrap => "DHT: no bootstrap node answers",
        Bootstrapping => "DHT bootstrapping",
        Unavailable => "DHT unavailable",
        _ => "DHT off",
    };
}
