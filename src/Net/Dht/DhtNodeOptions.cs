using System.Net;
using Cabal.Net.Compact;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.Dht;

/// <summary>
/// Settings of a <see cref="DhtNode"/>. Every property has a usable default; the defaults follow
/// dht-rpc 6 unless stated. Tests always set <see cref="Host"/> to 127.0.0.1 and give an explicit
/// loopback <see cref="Bootstrap"/> list.
/// </summary>
public sealed record DhtNodeOptions
{
    /// <summary>
    /// Nodes to bootstrap from: "a.b.c.d:port", "host.name:port" (resolved to IPv4 at start) or
    /// "a.b.c.d@host.name:port" (the address, with the name as documentation). Default: none
    /// (dht-rpc's default; HyperDhtOptions supplies the public HyperDHT list).
    /// </summary>
    public IReadOnlyList<string> Bootstrap { get; init; } = [];

    /// <summary>Address both sockets bind to. Default 0.0.0.0 (all interfaces), as dht-rpc.</summary>
    public IPAddress Host { get; init; } = IPAddress.Any;

    /// <summary>
    /// Server socket port. 0 (default): any free port. Otherwise that port, then the next
    /// <see cref="PortRange"/> − 1 ports, then any free port (dht-rpc's portRange).
    /// </summary>
    public int Port { get; init; }

    /// <summary>How many consecutive ports from <see cref="Port"/> to try before any free port. Default 5.</summary>
    public int PortRange { get; init; } = 5;

    /// <summary>
    /// null (default): adaptive — start ephemeral and become persistent after ~20 minutes of stable,
    /// unfirewalled operation. true: never store or answer for others. false: try to become
    /// persistent right after bootstrapping (testnet and bootstrap nodes).
    /// </summary>
    public bool? Ephemeral { get; init; }

    /// <summary>Assume we are behind a firewall until a check proves otherwise. Default true.</summary>
    public bool Firewalled { get; init; } = true;

    /// <summary>
    /// This node is a network's first node: it has nobody to learn its address from, so its bound
    /// address is taken as its public one (dht-rpc's DHT.bootstrapper). Implies not firewalled and not
    /// ephemeral. Requires a specific <see cref="Host"/>. Default false.
    /// </summary>
    public bool IsBootstrapNode { get; init; }

    /// <summary>Run the quick firewall test during bootstrap (dht-rpc quickFirewall). Default true.</summary>
    public bool QuickFirewall { get; init; } = true;

    /// <summary>Kademlia bucket size k. Default 20.</summary>
    public int K { get; init; } = RoutingTable.DefaultK;

    /// <summary>Requests in flight per query. Default 10.</summary>
    public int Concurrency { get; init; } = 10;

    /// <summary>
    /// Routing-table poisoning limit: at most this many table entries per IPv4 host. Default 3.
    /// (dht-rpc has no such limit.)
    /// </summary>
    public int MaxNodesPerHost { get; init; } = 3;

    /// <summary>
    /// Apply <see cref="MaxNodesPerHost"/> to 127.0.0.0/8 too. Default false: a loopback testnet runs
    /// every node on 127.0.0.1, and no host off this machine can answer from a loopback address.
    /// </summary>
    public bool LimitLoopbackHosts { get; init; }

    /// <summary>Attempt timeout for addresses we have no round-trip estimate for. Default 1 s (dht-rpc's fixed timeout).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Adapt attempt timeouts per address from measured round trips (smoothed RTT + 2 × deviation,
    /// times the attempt number, plus up to 255 ms jitter, clamped to Min/MaxRequestTimeout). Default
    /// true. dht-rpc has this but nothing in the JS stack enables it; JS peers do not notice either way.
    /// </summary>
    public bool AdaptiveTimeouts { get; init; } = true;

    /// <summary>Lower clamp of adaptive timeouts. Default 500 ms.</summary>
    public TimeSpan MinRequestTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Upper clamp of adaptive timeouts. Default 4 s.</summary>
    public TimeSpan MaxRequestTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Retransmissions of a plain request before it times out. Default 3 (4 sends).</summary>
    public int Retries { get; init; } = 3;

    /// <summary>Retransmissions of a query's requests. Default 5 (6 sends).</summary>
    public int QueryRetries { get; init; } = 5;

    /// <summary>Send window per 750 ms slot (dht-rpc maxWindow). Default 80.</summary>
    public int MaxWindow { get; init; } = 80;

    /// <summary>Longest DELAYED_PING delay honoured. Default 10 s.</summary>
    public TimeSpan MaxPingDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Delayed-ping replies waiting at once; more are dropped. Default 1024.</summary>
    public int MaxPendingDelayedPings { get; init; } = 1024;

    /// <summary>
    /// When persistent: requests accepted per second from one IPv4 host (token bucket), beyond which
    /// they are dropped unanswered. 0 disables the limit. Default 500.
    /// </summary>
    public int RequestsPerSecondPerHost { get; init; } = 500;

    /// <summary>Burst allowance of the per-host limit. Default 1000.</summary>
    public int RequestBurstPerHost { get; init; } = 1000;

    /// <summary>Down hints sent per 5-s tick (dht-rpc downHintsRateLimit). Default 50.</summary>
    public int DownHintsPerTick { get; init; } = 50;

    /// <summary>How often timers (retries, ticks) are checked. Default 50 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>dht-rpc's tick: pings, refreshes and state checks run on it. Default 5 s.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Nodes we never talk to (hyperdht's filterNode). Default: none.</summary>
    public Func<Ipv4EndPoint, bool>? FilterNode { get; init; }

    /// <summary>The clock for timeouts, ticks and record ages (tests inject a manual one). Default: the system clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the node's logs go (categories are the logging types' full names, docs/logging.md). Default: nowhere (NullLoggerFactory).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Sockets to bind; default real UDP. Tests pass an in-memory network.</summary>
    public IDatagramSocketFactory? SocketFactory { get; init; }

    internal void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException("Port must be 0–65535.");
        if (PortRange < 1) throw new ArgumentException("PortRange must be at least 1.");
        if (K < 1 || Concurrency < 1 || MaxNodesPerHost < 1) throw new ArgumentException("K, Concurrency and MaxNodesPerHost must be positive.");
        if (Retries < 0 || QueryRetries < 0) throw new ArgumentException("Retries must not be negative.");
        if (RequestTimeout <= TimeSpan.Zero || MinRequestTimeout <= TimeSpan.Zero || MaxRequestTimeout < MinRequestTimeout)
            throw new ArgumentException("Request timeouts must be positive and Min ≤ Max.");
        if (PollInterval <= TimeSpan.Zero || TickInterval <= TimeSpan.Zero) throw new ArgumentException("Intervals must be positive.");
        if (RequestsPerSecondPerHost < 0 || RequestBurstPerHost < 1) throw new ArgumentException("Rate limits must not be negative.");
        if (Host.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) throw new ArgumentException("Host must be an IPv4 address.");
        if (IsBootstrapNode && Host.Equals(IPAddress.Any)) throw new ArgumentException("A bootstrap node needs a specific Host: its bound address is its public one.");
        foreach (var b in Bootstrap) _ = BootstrapNode.Parse(b);
    }
}
