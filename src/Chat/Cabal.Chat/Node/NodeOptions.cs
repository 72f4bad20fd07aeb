using System.Net;
using Cabal.Net.Discovery;
using Cabal.Net.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Chat.Node;

/// <summary>Options for <see cref="CabalNode.OpenAsync"/>.</summary>
public sealed record NodeOptions
{
    /// <summary>The data directory: the feed store, the network identity, the peers seen. Required.</summary>
    public required DataPaths Paths { get; init; }

    /// <summary>
    /// Where the node and everything it runs (cabals, storage, replication, networking) log. The
    /// caller owns it and disposes it after the node. Default: nothing is logged.
    /// </summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>
    /// Whether this node must be the only one on the data directory (an import writes feeds behind
    /// the back of any node that has them open). Every node holds a shared lock on
    /// <see cref="DataPaths.NodeLockFile"/>; an exclusive node takes it exclusively, and either kind
    /// fails with <see cref="DataDirectoryBusyException"/> while the other is held. Default false.
    /// </summary>
    public bool Exclusive { get; init; }
}

/// <summary>How <see cref="CabalNode.StartNetworkAsync"/> reaches peers.</summary>
public sealed record NetworkOptions
{
    /// <summary>
    /// TCP port every open cabal accepts peers on (0 picks a free one). Default null: no listener,
    /// unless <see cref="Lan"/> is on, which needs one and then picks a free port.
    /// </summary>
    public int? ListenPort { get; init; }

    /// <summary>Peers dialled for every cabal, redialled with backoff while the node runs. Default none.</summary>
    public IReadOnlyList<PeerAddress> Peers { get; init; } = [];

    /// <summary>Announce every cabal and look for its peers on the local network (multicast). Default false.</summary>
    public bool Lan { get; init; }

    /// <summary>
    /// The IPv4 interface LAN discovery joins and sends on; a loopback address keeps discovery on this
    /// host (TTL 0). Default null: the system's choice of interface.
    /// </summary>
    public IPAddress? LanInterface { get; init; }

    /// <summary>UDP port of the discovery group. Default null: <see cref="LanDiscoveryOptions.Port"/>'s default.</summary>
    public int? LanPort { get; init; }

    /// <summary>
    /// Finding every open cabal's peers through HyperDHT, as cabal-core's swarm does. Default: on, with
    /// cabal-core's public bootstrap list (<see cref="DhtSettings"/>); <see cref="DhtSettings.Off"/> turns it off.
    /// </summary>
    public DhtSettings Dht { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> (or a subclass) for a value that cannot work.</summary>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Dht, nameof(Dht));
        Dht.Validate();
        if (ListenPort is < 0 or > IPEndPoint.MaxPort)
            throw new ArgumentOutOfRangeException(nameof(ListenPort), ListenPort, "A TCP port is 0 to 65535.");
        ArgumentNullException.ThrowIfNull(Peers, nameof(Peers));
        if (Peers.Any(p => p is null)) throw new ArgumentException("A peer address is null.", nameof(Peers));
        if (LanInterface is { AddressFamily: not System.Net.Sockets.AddressFamily.InterNetwork })
            throw new ArgumentException($"LAN discovery needs an IPv4 interface address, not {LanInterface}.", nameof(LanInterface));
        if (LanPort is { } lanPort && lanPort is < 1 or > IPEndPoint.MaxPort)
            throw new ArgumentOutOfRangeException(nameof(LanPort), lanPort, "A UDP port is 1 to 65535.");
    }
}
