using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.Admission;

/// <summary>
/// Limits of an <see cref="AdmissionControl"/>. A "source" is one address; a "prefix" groups the
/// addresses one party is likely to hold: the /24 of an IPv4 address, the /64 of an IPv6 one.
/// Defaults suit a public seeding bot: one host cannot hold more than a small share of the slots,
/// and a crowd behind one NAT still gets in.
/// </summary>
public sealed record AdmissionOptions
{
    /// <summary>Inbound connections not yet established (handshaking, or waiting to be routed), all sources. Default 64.</summary>
    public int MaxPending { get; init; } = 64;

    /// <summary>Pending connections from one address. Default 8.</summary>
    public int MaxPendingPerAddress { get; init; } = 8;

    /// <summary>Pending connections from one /24 (IPv4) or /64 (IPv6). Default 16.</summary>
    public int MaxPendingPerPrefix { get; init; } = 16;

    /// <summary>Established inbound connections from one address. Default 16.</summary>
    public int MaxEstablishedPerAddress { get; init; } = 16;

    /// <summary>Established inbound connections from one /24 or /64. Default 64.</summary>
    public int MaxEstablishedPerPrefix { get; init; } = 64;

    /// <summary>
    /// Time a pending connection gets to become established while few slots are taken (a quarter or
    /// less). Default 10 s, the handshake and route timeouts of the transport.
    /// </summary>
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The same deadline when every pending slot is taken; between a quarter and all of them it
    /// shrinks linearly from <see cref="PendingTimeout"/> to this. Default 2 s: a real peer on a slow
    /// link finishes a Noise handshake and its first Open in well under that.
    /// </summary>
    public TimeSpan MinPendingTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long an address is refused after its connection was ended for abuse (see
    /// <see cref="PeerAbuseException"/>); doubled at every repeat, up to <see cref="MaxPenalty"/>.
    /// Default 30 s.
    /// </summary>
    public TimeSpan Penalty { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest refusal of a repeat offender; an address quiet for twice this is forgiven. Default 30 min.</summary>
    public TimeSpan MaxPenalty { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Most addresses remembered in the penalty box (the oldest are forgotten first). Default 65,536.</summary>
    public int MaxPenalized { get; init; } = 65_536;

    /// <summary>The clock of deadlines and penalties. Default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where refusals, evictions and penalties are logged (category <see cref="AdmissionControl"/>). Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>These options with <paramref name="time"/> and <paramref name="loggerFactory"/> where they keep the system clock and no logger.</summary>
    internal AdmissionOptions WithDefaults(TimeProvider time, ILoggerFactory loggerFactory) => this with
    {
        TimeProvider = ReferenceEquals(TimeProvider, TimeProvider.System) ? time : TimeProvider,
        LoggerFactory = ReferenceEquals(LoggerFactory, NullLoggerFactory.Instance) ? loggerFactory : LoggerFactory,
    };

    internal void Validate()
    {
        if (MaxPending < 1 || MaxPendingPerAddress < 1 || MaxPendingPerPrefix < 1 || MaxEstablishedPerAddress < 1 || MaxEstablishedPerPrefix < 1)
            throw new ArgumentException("Admission limits must be at least 1.");
        if (MinPendingTimeout <= TimeSpan.Zero || PendingTimeout < MinPendingTimeout)
            throw new ArgumentException("Need 0 < MinPendingTimeout <= PendingTimeout.");
        if (Penalty < TimeSpan.Zero || MaxPenalty < Penalty) throw new ArgumentException("Need 0 <= Penalty <= MaxPenalty.");
        if (MaxPenalized < 1) throw new ArgumentException("MaxPenalized must be at least 1.");
    }
}
