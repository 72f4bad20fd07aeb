using System.Net;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;
using Cabal.Net.Udx;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.HyperDht;

/// <summary>
/// Settings of a <see cref="HyperDht"/> node. Every property has a documented default; the defaults
/// follow hyperdht 6 unless stated. Tests always pass Host = 127.0.0.1 and a loopback Bootstrap list.
/// </summary>
public sealed record HyperDhtOptions
{
    /// <summary>hyperdht's default server port.</summary>
    public const int DefaultPort = 49737;

    /// <summary>
    /// Bootstrap nodes, "a.b.c.d:port", "name:port" or "a.b.c.d@name:port". Default: the public
    /// HyperDHT bootstrap nodes (hyperdht lib/constants.js BOOTSTRAP_NODES). Nothing else in this
    /// library refers to them.
    /// </summary>
    public IReadOnlyList<string> Bootstrap { get; init; } =
    [
        "88.99.3.86@node1.hyperdht.org:49737",
        "142.93.90.113@node2.hyperdht.org:49737",
        "138.68.147.8@node3.hyperdht.org:49737",
    ];

    /// <summary>Address every socket binds to. Default 0.0.0.0; tests use 127.0.0.1.</summary>
    public IPAddress Host { get; init; } = IPAddress.Any;

    /// <summary>Server socket port: this one or the next four, else any free port. 0: any free port. Default 49737.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>null (default): adaptive; true: client only; false: try to become a storage node at once.</summary>
    public bool? Ephemeral { get; init; }

    /// <summary>Assume firewalled until proven otherwise. Default true.</summary>
    public bool Firewalled { get; init; } = true;

    /// <summary>
    /// Run dht-rpc's quick firewall test while bootstrapping. Default true. On a small loopback testnet a
    /// C# node usually passes it (and says OPEN in handshakes) where a fresh JS node does not; tests set it
    /// false to stay firewalled and exercise the relayed paths.
    /// </summary>
    public bool QuickFirewall { get; init; } = true;

    /// <summary>First node of a network (no bootstrap nodes; its bound address is its public one). Default false.</summary>
    public bool IsBootstrapNode { get; init; }

    /// <summary>Routing-table entries per IPv4 host (loopback exempt). Default 3.</summary>
    public int MaxNodesPerHost { get; init; } = 3;

    /// <summary>Requests per second accepted from one host while persistent (0: unlimited). Default 500.</summary>
    public int RequestsPerSecondPerHost { get; init; } = 500;

    /// <summary>Announcement records kept in total (across topics). Default 65536.</summary>
    public int MaxRecords { get; init; } = 65536;

    /// <summary>Announcement records kept per topic. Default 1024 (LOOKUP returns at most 20 of them).</summary>
    public int MaxRecordsPerTopic { get; init; } = 1024;

    /// <summary>
    /// Lifetime of stored records and routes: they go stale after 2/3 of it and vanish after 4/3 unless
    /// re-announced (hyperdht's 20-minute caches: gone 13.3–26.7 min after the last announce). Default 20 min.
    /// </summary>
    public TimeSpan RecordMaxAge { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Server routes (self-announces) kept. Default 65536.</summary>
    public int MaxRoutes { get; init; } = 65536;

    /// <summary>Mutable and immutable values kept each. Default 32768.</summary>
    public int MaxValues { get; init; } = 32768;

    /// <summary>Lifetime of mutable and immutable values. Default 48 h.</summary>
    public TimeSpan ValueMaxAge { get; init; } = TimeSpan.FromHours(48);

    /// <summary>How long a server keeps a handshake to answer retransmitted copies identically. Default 10 s.</summary>
    public TimeSpan HandshakeClearWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Handshakes a server keeps at once; more are refused. Default 4096.</summary>
    public int MaxPendingHandshakes { get; init; } = 4096;

    /// <summary>
    /// Handshakes a server keeps at once for one client host (counting those kept after their
    /// connection came up or failed, for answering retransmissions), so one host cannot fill
    /// <see cref="MaxPendingHandshakes"/>. Default 32.
    /// </summary>
    public int MaxHandshakesPerHost { get; init; } = 32;

    /// <summary>
    /// Admission control of connections to this node's servers (Listen on UDX), as on the TCP
    /// listeners: limits per address and per /24 on pending connections (from PEER_HANDSHAKE until
    /// the secret-stream is up) and on established ones, fair pending slots, a pending deadline that
    /// shrinks with load, a penalty box for abusers. A refused handshake gets no reply and costs no
    /// UDX stream or holepunch state. Its clock and logger default to this record's. Default
    /// <c>new()</c> (see <see cref="Admission.AdmissionOptions"/>); null: none.
    /// </summary>
    public Admission.AdmissionOptions? Admission { get; init; } = new();

    /// <summary>
    /// One admission control shared with the program's other listeners (the TCP ones: pass the same
    /// instance as their SharedAdmission), so a source's limits count its connections on all of
    /// them. When set it is used instead of <see cref="Admission"/>. Default null.
    /// </summary>
    public Admission.AdmissionControl? SharedAdmission { get; init; }

    /// <summary>secret-stream keep-alive interval on connections. Default 5 s.</summary>
    public TimeSpan ConnectionKeepAlive { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Our static key pair for connections when a call names none (hyperdht defaultKeyPair). Default: a
    /// random one per node.
    /// </summary>
    public KeyPair? KeyPair { get; init; }

    /// <summary>
    /// How long ConnectAsync may take from the first DHT request to a connection whose peer answered, unless
    /// the call says otherwise. Default 45 s (a punch through a randomising NAT alone may take 35 s).
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>How long a server waits for a client it answered to reach its stream (HANDSHAKE_INITIAL_TIMEOUT). Default 10 s.</summary>
    public TimeSpan HandshakeInitialTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Offer and try the same-host/LAN shortcut (our local addresses in handshakes; a ping to the server's
    /// local address when both have the same public host). Default true (hyperdht localConnection).
    /// </summary>
    public bool LocalConnection { get; init; } = true;

    /// <summary>Punches involving a randomising NAT: at most one at a time, and this long apart. Default 20 s.</summary>
    public TimeSpan RandomPunchInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>UDX settings for the node's sockets and connection streams. Default: UDX's defaults with this node's logger.</summary>
    public UdxOptions? Udx { get; init; }

    /// <summary>When set, used as the DHT node's options as is (the node-level properties above are ignored).</summary>
    public DhtNodeOptions? NodeOptions { get; init; }

    /// <summary>The clock for timeouts, ticks and record ages (tests inject a manual one). Default: the system clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the node's logs go (categories are the logging types' full names, docs/logging.md). Default: nowhere (NullLoggerFactory).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>
    /// Sockets to bind. Default: UDX sockets of the node's own Udx instance, which connections need. Tests
    /// of the DHT alone may pass an in-memory network (then ConnectAsync and Listen with connections are
    /// unavailable).
    /// </summary>
    public IDatagramSocketFactory? SocketFactory { get; init; }

    internal DhtNodeOptions ToNodeOptions() => NodeOptions ?? new DhtNodeOptions
    {
        Bootstrap = Bootstrap,
        Host = Host,
        Port = Port,
        Ephemeral = Ephemeral,
        Firewalled = Firewalled,
        IsBootstrapNode = IsBootstrapNode,
        QuickFirewall = QuickFirewall,
        MaxNodesPerHost = MaxNodesPerHost,
        RequestsPerSecondPerHost = RequestsPerSecondPerHost,
        FilterNode = HyperDhtFilter.Allows,
        Time = Time,
        LoggerFactory = LoggerFactory,
        SocketFactory = SocketFactory,
    };

    internal void Validate()
    {
        if (MaxRecords < 1 || MaxRecordsPerTopic < 1 || MaxRoutes < 1 || MaxValues < 1 || MaxPendingHandshakes < 1 || MaxHandshakesPerHost < 1)
            throw new ArgumentException("Limits must be positive.");
        if (RecordMaxAge <= TimeSpan.Zero || ValueMaxAge <= TimeSpan.Zero || HandshakeClearWait <= TimeSpan.Zero)
            throw new ArgumentException("Ages must be positive.");
        if (ConnectTimeout <= TimeSpan.Zero || HandshakeInitialTimeout <= TimeSpan.Zero || RandomPunchInterval < TimeSpan.Zero || ConnectionKeepAlive < TimeSpan.Zero)
            throw new ArgumentException("Connection timeouts must be positive.");
        if (KeyPair is { } k && (k.PublicKey is not { Length: 32 } || k.SecretKey is not { Length: 64 }))
            throw new ArgumentException("KeyPair must be an Ed25519 key pair with its 64-byte secret key.");
        Admission?.Validate();
    }
}

/// <summary>hyperdht's filterNode: four stale testnet hosts that are never contacted.</summary>
internal static class HyperDhtFilter
{
    private static readonly uint[] s_blocked49738 = [Host(134, 209, 28, 98), Host(167, 99, 142, 185)];
    private static readonly uint s_blocked9400 = Host(35, 233, 47, 252);
    private static readonly uint s_blockedAll = Host(150, 136, 142, 116);

    public static bool Allows(Cabal.Net.Compact.Ipv4EndPoint node)
        => !(node.Port == 49738 && s_blocked49738.Contains(node.Address))
           && !(node.Port == 9400 && node.Address == s_blocked9400)
           && node.Address != s_blockedAll;

    private static uint Host(byte a, byte b, byte c, byte d) => (uint)(a << 24 | b << 16 | c << 8 | d);
}
