// How the node finds a cabal's peers through HyperDHT (cabal-core swarm.js: one hyperswarm per cabal,
// topic = discoveryKey(cabalKey), server and client). The public bootstrap list lives here and only
// here, as the default of Bootstrap: tests and scripts always pass a loopback list or turn the DHT off.
using System.Net;
using Cabal.Net.Dht;
using Cabal.Net.Swarm;

namespace Cabal.Chat.Node;

/// <summary>The node's DHT and swarm settings (<see cref="NetworkOptions.Dht"/>).</summary>
public sealed record DhtSettings
{
    /// <summary>cabal-core 16's bootstrap_nodes.js: the community nodes, then holepunch's.</summary>
    public static IReadOnlyList<string> DefaultBootstrap { get; } =
    [
        "eight45.net:49737",
        "nthia.dev:49737",
        "cabaldht.linkping.org:49737",
        "hyperswarm.mindeco.de:10001",
        "node1.hyperdht.org:49737",
        "node2.hyperdht.org:49737",
        "node3.hyperdht.org:49737",
    ];

    /// <summary>The DHT turned off: no UDP socket, no announce.</summary>
    public static DhtSettings Off { get; } = new() { Enabled = false };

    /// <summary>Join every open cabal's topic on the DHT. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Bootstrap nodes, "host:port" (or "ip@host:port"). Default <see cref="DefaultBootstrap"/> (cabal-core's list).</summary>
    public IReadOnlyList<string> Bootstrap { get; init; } = DefaultBootstrap;

    /// <summary>
    /// Address the DHT sockets bind to. Default null: 127.0.0.1 when every bootstrap node is a loopback
    /// address (a node bound to 0.0.0.0 would advertise a non-loopback address to them), else 0.0.0.0.
    /// </summary>
    public IPAddress? Host { get; init; }

    /// <summary>
    /// UDP port of the DHT server socket (a forwarded port for a bot). Default null: hyperdht's 49737 or one of
    /// the next four, else any free port. 0: any free port.
    /// </summary>
    public int? Port { get; init; }

    /// <summary>Swarm settings (peer cap, refresh interval; tests shorten the refresh). Default null: hyperswarm's defaults.</summary>
    public SwarmOptions? Swarm { get; init; }

    /// <summary>How long closing the node waits for the cabals' topics to be unannounced. Default 3 s.</summary>
    public TimeSpan LeaveTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The address the sockets bind to (see <see cref="Host"/>).</summary>
    public IPAddress EffectiveHost => Host ?? (Bootstrap.Count > 0 && Bootstrap.All(IsLoopback) ? IPAddress.Loopback : IPAddress.Any);

    /// <summary>True for a bootstrap entry on this host (127.0.0.0/8 or "localhost").</summary>
    public static bool IsLoopback(string bootstrap)
    {
        var node = BootstrapNode.Parse(bootstrap);
        if (node.Address is { } a) return a >> 24 == 127;
        return string.Equals(node.Host, "localhost", StringComparison.OrdinalIgnoreCase);
    }

    internal void Validate()
    {
        if (!Enabled) return;
        ArgumentNullException.ThrowIfNull(Bootstrap, nameof(Bootstrap));
        if (Bootstrap.Count == 0) throw new ArgumentException("The DHT needs at least one bootstrap node (or turn it off).", nameof(Bootstrap));
        foreach (var b in Bootstrap)
        {
            try { _ = BootstrapNode.Parse(b ?? throw new ArgumentException("A bootstrap node is null.", nameof(Bootstrap))); }
            catch (FormatException e) { throw new ArgumentException(e.Message, nameof(Bootstrap), e); }
        }
        if (Host is { AddressFamily: not System.Net.Sockets.AddressFamily.InterNetwork })
            throw new ArgumentException($"The DHT binds an IPv4 address, not {Host}.", nameof(Host));
        if (Port is < 0 or > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException(nameof(Port), Port, "A UDP port is 0 to 65535.");
        if (LeaveTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(LeaveTimeout));
    }
}
