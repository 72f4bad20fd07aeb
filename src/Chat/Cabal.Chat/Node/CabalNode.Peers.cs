// The node's connections as people see them: who, where, which way, why, and how far synced; and
// adding a peer while the node runs (the client's /connect).
using Cabal.Net.Transport;

namespace Cabal.Chat.Node;

/// <summary>How a connection came about, as shown next to a peer.</summary>
public static class PeerSources
{
    /// <summary>Given with --peer when the program started.</summary>
    public const string Option = "--peer";
    /// <summary>Added while running (/connect).</summary>
    public const string Added = "/connect";
    /// <summary>Dialled again from the peers file.</summary>
    public const string Remembered = "remembered";
    /// <summary>Found by LAN discovery.</summary>
    public const string Lan = "lan";
    /// <summary>The peer dialled us.</summary>
    public const string Inbound = "inbound";
    /// <summary>Found through the DHT swarm (either side may have dialled).</summary>
    public const string Dht = "dht";
}

/// <summary>One connection of a cabal: the peer's user key (or connection identity), address, direction, source and sync progress.</summary>
public sealed record PeerInfo(string PeerKey, string Address, bool Outbound, string Source, int FeedsSynced, int Feeds);

public sealed partial class CabalNode
{
    /// <summary>Whether LAN discovery was asked for when the network started.</summary>
    public bool LanEnabled => _network?.Lan ?? false;

    /// <summary>Whether the network has started.</summary>
    public bool NetworkStarted => _network is not null;

    /// <summary>The cabal's connections that identified themselves (peer-id), in no particular order.</summary>
    public IReadOnlyList<PeerInfo> PeersOf(CabalCore cabal)
    {
        if (!_runtimes.TryGetValue(cabal.KeyHex, out var r)) return [];
        return r.Peers.Select(kv =>
        {
            var report = r.Sessions.TryGetValue(kv.Key, out var session) ? session.SyncReport() : null;
            var feeds = report?.FeedsAgreed ?? 0;
            var synced = report is null ? 0 : Math.Max(0, feeds - report.FeedsAwaitingLength - report.FeedsMissingBlocks - report.FeedsFailed);
            return new PeerInfo(kv.Value, kv.Key.RemoteEndPoint.ToString(), kv.Key.Address is not null, SourceOf(r, kv.Key), synced, feeds);
        }).ToList();
    }

    /// <summary>
    /// Dials <paramref name="address"/> for the cabal while the node runs, and keeps redialling it
    /// with backoff. False if it was already being dialled. Throws <see cref="InvalidOperationException"/>
    /// before the network has started.
    /// </summary>
    public bool AddPeer(CabalCore cabal, PeerAddress address, string source = PeerSources.Added)
    {
        ArgumentNullException.ThrowIfNull(address);
        var runtime = Runtime(cabal);
        if (runtime.Manager is null) throw new InvalidOperationException("The network is not running.");
        return AddPeer(runtime, address, source, persistent: true);
    }

    private static bool AddPeer(CabalRuntime runtime, PeerAddress address, string source, bool persistent)
    {
        runtime.Sources.TryAdd(address.ToString(), source);
        return runtime.Manager!.AddPeer(address, persistent);
    }

    // One round each (not persistent): an address that has gone away stops being dialled.
    private void RedialKnownPeers(CabalRuntime runtime)
    {
        foreach (var known in KnownPeers(runtime.Core))
            if (PeerAddress.TryParse(known, out var address, out _) && address is not null) AddPeer(runtime, address, PeerSources.Remembered, persistent: false);
    }

    private static string SourceOf(CabalRuntime runtime, PeerConnection pc)
    {
        if (pc.Address is null) return PeerSources.Inbound;
        // LAN discovery adds the addresses it finds to the manager itself.
        return pc.Address is { } a && runtime.Sources.TryGetValue(a.ToString(), out var source) ? source : PeerSources.Lan;
    }
}
