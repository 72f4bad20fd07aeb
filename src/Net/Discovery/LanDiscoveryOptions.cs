using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.Discovery;

/// <summary>Settings of <see cref="LanDiscovery"/> and <see cref="DiscoveryEngine"/>. Every property has a usable default.</summary>
public sealed record LanDiscoveryOptions
{
    /// <summary>
    /// IPv4 multicast group. Default 239.255.67.66, in the organisation-local scope (RFC 2365), which
    /// routers do not forward off site.
    /// </summary>
    public IPAddress MulticastGroup { get; init; } = IPAddress.Parse("239.255.67.66");

    /// <summary>UDP port of the group (shared by every process on the host). Default 49252.</summary>
    public int Port { get; init; } = 49252;

    /// <summary>
    /// Local interface to send and join on. Default null: the system's choice. 127.0.0.1 keeps all
    /// discovery traffic on this host (tests).
    /// </summary>
    public IPAddress? InterfaceAddress { get; init; }

    /// <summary>Multicast TTL. Default 1: the local link only. 0 keeps packets on this host.</summary>
    public int TimeToLive { get; init; } = 1;

    /// <summary>Deliver our own packets to other sockets on this host (other cabal processes). Default true.</summary>
    public bool MulticastLoopback { get; init; } = true;

    /// <summary>Period of unsolicited announcements per topic. Default 10 s.</summary>
    public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Rate limit: never two announcements (or queries) for one topic closer than this, however many
    /// queries arrive. Default 1 s.
    /// </summary>
    public TimeSpan MinAnnounceInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The side with the larger peer id waits this long, hearing a peer without being connected to it,
    /// before dialling it itself (the smaller side normally dials; this covers one-way reachability).
    /// Default 15 s.
    /// </summary>
    public TimeSpan DialGrace { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Do not report the same peer again for dialling sooner than this. Default 30 s.</summary>
    public TimeSpan RedialInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Forget a peer not heard for this long. Default 60 s.</summary>
    public TimeSpan PeerExpiry { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Bound on remembered (peer, topic) pairs, so a flood of forged ids cannot grow memory. Default 1024.</summary>
    public int MaxTrackedPeers { get; init; } = 1024;

    /// <summary>How often the send loop checks for due packets. Default 250 ms.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Where discovery logs (category <see cref="LanDiscovery"/>). Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal void Validate()
    {
        if (MulticastGroup.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || MulticastGroup.GetAddressBytes()[0] is < 224 or > 239)
            throw new ArgumentException("MulticastGroup must be an IPv4 multicast address.");
        if (Port is < 1 or > 65535) throw new ArgumentException("Port must be 1–65535.");
        if (TimeToLive is < 0 or > 255) throw new ArgumentException("TimeToLive must be 0–255.");
        if (AnnounceInterval <= TimeSpan.Zero || MinAnnounceInterval <= TimeSpan.Zero || TickInterval <= TimeSpan.Zero)
            throw new ArgumentException("Intervals must be positive.");
        if (MaxTrackedPeers < 1) throw new ArgumentException("MaxTrackedPeers must be at least 1.");
    }
}
