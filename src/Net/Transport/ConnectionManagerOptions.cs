using System.Net;
using Cabal.Net.Crypto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.Transport;

/// <summary>Settings of a <see cref="ConnectionManager"/>. Every property has a usable default.</summary>
public sealed record ConnectionManagerOptions
{
    /// <summary>
    /// This process's Noise static key pair, used on every connection: it is how peers recognise a
    /// second connection from us as a duplicate. Default null: one random pair per manager.
    /// </summary>
    public NoiseKeyPair? StaticKeyPair { get; init; }

    /// <summary>
    /// Where to accept connections. Default <c>0.0.0.0:0</c> (all IPv4 interfaces, a free port; read
    /// <see cref="ConnectionManager.ListenPort"/>). Null: do not listen (dial only).
    /// </summary>
    public IPEndPoint? ListenEndPoint { get; init; } = new(IPAddress.Any, 0);

    /// <summary>
    /// Take inbound connections from a listener shared with other managers instead of listening
    /// alone: those whose first Open is for <see cref="RouteKey"/> come here. Needs
    /// <see cref="ListenEndPoint"/> null, a <see cref="RouteKey"/>, and the listener's
    /// <see cref="StaticKeyPair"/>. Default null.
    /// </summary>
    public SharedPeerListener? SharedListener { get; init; }

    /// <summary>
    /// With <see cref="SharedListener"/>: the feed key (32 bytes) whose Open routes a connection to
    /// this manager, e.g. the cabal key. Default empty.
    /// </summary>
    public ReadOnlyMemory<byte> RouteKey { get; init; }

    /// <summary>Delay before the first retry; doubled on every further retry. Default 1 s.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of a single retry delay. Default 60 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Randomise retry delays (Polly's decorrelated jitter) so peers that lost each other at the same
    /// moment do not redial in lock step. Default true.
    /// </summary>
    public bool UseJitter { get; init; } = true;

    /// <summary>Dial attempts per round for one address (the first try included). Default 8.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>
    /// After a round of <see cref="MaxAttempts"/> failed attempts, a persistent (manual) address is
    /// tried again after this pause. Default 5 min; <see cref="Timeout.InfiniteTimeSpan"/>: give up.
    /// Discovered addresses are always dropped instead (the next announcement brings them back).
    /// </summary>
    public TimeSpan RetryCooldown { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Pause before redialling an address whose connection ended. Default 1 s.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Most connections at a time, inbound, outbound and still handshaking together (hyperswarm's
    /// default). Inbound ones beyond it are refused; dials wait for a free slot. Default 64.
    /// </summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>
    /// Admission control of inbound connections (limits per address and per /24 or /64, fair
    /// pending slots, a pending deadline that shrinks with load, a penalty box for abusers), applied
    /// at accept before <see cref="MaxConnections"/>. Its clock and logger default to this record's
    /// when it keeps the system ones. Default <c>new()</c> (see <see cref="Admission.AdmissionOptions"/>);
    /// null: no admission control.
    /// </summary>
    public Admission.AdmissionOptions? Admission { get; init; } = new();

    /// <summary>
    /// One admission control shared by every listener of a program (this one, the other TCP
    /// listeners, the HyperDHT server: see <see cref="HyperDht.HyperDhtOptions.SharedAdmission"/>),
    /// so a source's limits count its connections on all of them together. When set it is used
    /// instead of <see cref="Admission"/>. Default null.
    /// </summary>
    public Admission.AdmissionControl? SharedAdmission { get; init; }

    /// <summary>Time for one attempt: TCP connect plus Noise handshake. Default 10 s.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time an inbound connection gets to complete the handshake. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on <see cref="ConnectionManager.DisposeAsync"/>. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Template for every connection (keep-alive, timeouts...). Its StaticKeyPair is replaced by
    /// <see cref="StaticKeyPair"/>; a template without a logger factory gets <see cref="LoggerFactory"/>.
    /// </summary>
    public ProtocolConnectionOptions? ConnectionOptions { get; init; }

    /// <summary>
    /// The clock of retry delays, dial and handshake timeouts, reconnect delays and cool-downs, and of
    /// connections whose template keeps the system clock. Default the system clock.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the manager, and connections whose template sets none, logs (category <see cref="ConnectionManager"/>). Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal void Validate()
    {
        if (MaxAttempts < 1) throw new ArgumentException("MaxAttempts must be at least 1.");
        if (MaxConnections < 1) throw new ArgumentException("MaxConnections must be at least 1.");
        if (BaseDelay <= TimeSpan.Zero || MaxDelay < BaseDelay) throw new ArgumentException("Need 0 < BaseDelay <= MaxDelay.");
        if (DialTimeout <= TimeSpan.Zero || HandshakeTimeout <= TimeSpan.Zero || ShutdownTimeout <= TimeSpan.Zero)
            throw new ArgumentException("Timeouts must be positive.");
        if (ReconnectDelay < TimeSpan.Zero) throw new ArgumentException("ReconnectDelay must not be negative.");
        if (SharedListener is not null)
        {
            if (ListenEndPoint is not null) throw new ArgumentException("Set ListenEndPoint to null when taking connections from a shared listener.");
            if (RouteKey.Length != 32) throw new ArgumentException("A manager on a shared listener needs a 32-byte RouteKey.");
            if (StaticKeyPair is null || !StaticKeyPair.PublicKey.AsSpan().SequenceEqual(SharedListener.StaticPublicKey))
                throw new ArgumentException("A manager on a shared listener must use the listener's StaticKeyPair.");
        }
        Admission?.Validate();
        if (RetryCooldown < TimeSpan.Zero && RetryCooldown != Timeout.InfiniteTimeSpan) throw new ArgumentException("RetryCooldown must be positive or infinite.");
    }
}
