// Settings of a swarm (SwarmEngine and what drives it). Defaults follow hyperswarm 4.17.2
// (index.js:13-14, lib/peer-discovery.js:4-6); spec/hyperswarm.md §7.
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.Swarm;

/// <summary>Settings of a swarm. Every property has a documented default taken from hyperswarm 4.</summary>
public sealed record SwarmOptions
{
    /// <summary>
    /// Dialling stops while this many connections (incoming and outgoing) exist. Incoming connections are
    /// not refused above it, as in hyperswarm (its server limit is not enforced). Default 64.
    /// </summary>
    public int MaxPeers { get; init; } = 64;

    /// <summary>
    /// Peers the swarm remembers at once (found on topics, queued, retried); more found are dropped until
    /// some are forgotten. Not in hyperswarm, which keeps all: a topic with thousands of announced peers
    /// must stay bounded. Default 1024.
    /// </summary>
    public int MaxKnownPeers { get; init; } = 1024;

    /// <summary>Outgoing connection attempts in flight at once. Default 3.</summary>
    public int MaxParallel { get; init; } = 3;

    /// <summary>
    /// Base time between two refreshes of a topic (announce or lookup). Default 10 minutes, well inside the
    /// 20-minute life of an announcement record.
    /// </summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Random extra delay, 0 to this, added to every refresh. Default 2 minutes.</summary>
    public TimeSpan RefreshJitter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A refresh found this much later than due (the machine slept) is put off by the jitter alone instead
    /// of running at once. Default 30 seconds.
    /// </summary>
    public TimeSpan RefreshGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection that lasted this long resets its peer's attempt count before the retry. Default 15 seconds.</summary>
    public TimeSpan MinConnectionTime { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Source of time for refreshes and retries. Default the system clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Source of the random jitter. Default a new unseeded Random; tests pass a seeded one.</summary>
    public Random? Random { get; init; }

    /// <summary>Where the swarm logs (docs/logging.md, 7500–7599). Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal void Validate()
    {
        if (MaxPeers < 1) throw new ArgumentOutOfRangeException(nameof(MaxPeers), MaxPeers, "At least one peer.");
        if (MaxKnownPeers < 1) throw new ArgumentOutOfRangeException(nameof(MaxKnownPeers), MaxKnownPeers, "At least one peer.");
        if (MaxParallel < 1) throw new ArgumentOutOfRangeException(nameof(MaxParallel), MaxParallel, "At least one attempt at a time.");
        if (RefreshInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RefreshInterval));
        if (RefreshJitter < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RefreshJitter));
        if (RefreshGrace < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RefreshGrace));
        if (MinConnectionTime < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MinConnectionTime));
        ArgumentNullException.ThrowIfNull(Time);
        ArgumentNullException.ThrowIfNull(LoggerFactory);
    }
}
