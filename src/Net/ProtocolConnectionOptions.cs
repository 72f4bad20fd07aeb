using Cabal.Net.Crypto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net;

/// <summary>Settings of one <see cref="ProtocolConnection"/>. Defaults are hypercore-protocol 8's.</summary>
public sealed record ProtocolConnectionOptions
{
    /// <summary>Noise static key (the peer's transport identity). Null: a fresh random one per connection, as JS does.</summary>
    public NoiseKeyPair? StaticKeyPair { get; init; }

    /// <summary>
    /// Send a ping (one encrypted 00 byte) when nothing has been sent for this long. Default 10 s, half of
    /// the JS receive timeout, so JS peers never drop us. <see cref="TimeSpan.Zero"/> disables pings.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// End the connection when no byte at all has arrived for this long (handshake included).
    /// Default 20 s (JS: ETIMEDOUT). <see cref="TimeSpan.Zero"/> disables the timeout.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Soft bound on bytes queued for sending: <c>SendAsync</c> waits while more than this is queued.
    /// Synchronous <c>Send</c> never waits (so message handlers cannot deadlock two peers). Default 1 MiB.
    /// </summary>
    public int MaxQueuedSendBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Largest frame body accepted until a channel is open both ways (the remote has shown it knows a
    /// feed key we serve). Before that an honest peer sends only Opens, Options and small extension
    /// messages; a stranger declaring megabytes is refused as soon as the length is read, before the
    /// body is buffered, and the connection ends with a <see cref="PeerAbuseException"/>. After it, the
    /// protocol's maximum (8 MiB) applies. Default 64 KiB.
    /// </summary>
    public int MaxFrameSizeBeforeChannel { get; init; } = 64 * 1024;

    /// <summary>
    /// Most channels the remote may have open (or announced) on this connection at once; one more
    /// ends the connection with a <see cref="PeerAbuseException"/>. Each costs a few hundred bytes
    /// even before we answer it. Default 200,000 (twice the largest cabal's feeds, 100,000).
    /// </summary>
    public int MaxRemoteChannels { get; init; } = 200_000;

    /// <summary>
    /// Most bytes of the remote's messages waiting for our send queue to drain (see
    /// <c>ProtocolConnection</c>'s deferred dispatch), each counted as its encoded size plus 64 bytes
    /// of bookkeeping. A remote that keeps sending while it does not read our replies fills it; one
    /// more message ends the connection with a <see cref="PeerAbuseException"/>. An honest peer that
    /// reads never comes near: messages wait only while our sends are over
    /// <see cref="MaxQueuedSendBytes"/>. Default 16 MiB.
    /// </summary>
    public int MaxDeferredBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Messages per second the remote may send on one channel (Data excepted: it answers our own
    /// Requests), as a token bucket of <see cref="ChannelMessageBurst"/>; over it the connection ends
    /// with a <see cref="PeerAbuseException"/>. Bounds Have floods: a million Haves a second is cut
    /// off within a tenth of a second, while the Requests and Haves of a fast honest sync stay well
    /// under. Default 20,000.
    /// </summary>
    public double ChannelMessageRate { get; init; } = 20_000;

    /// <summary>Messages one channel may send at once before <see cref="ChannelMessageRate"/> applies. Default 100,000.</summary>
    public double ChannelMessageBurst { get; init; } = 100_000;

    /// <summary>
    /// Extension messages per second on one channel, or on the stream before any channel (multifeed's
    /// HANDSHAKE, MANIFEST, REQUEST_FEEDS and REPLICATE travel on the root channel: a handful per
    /// session), as a token bucket of <see cref="ExtensionMessageBurst"/>; over it the connection ends
    /// with a <see cref="PeerAbuseException"/>. Default 100.
    /// </summary>
    public double ExtensionMessageRate { get; init; } = 100;

    /// <summary>Extension messages one channel may send at once before <see cref="ExtensionMessageRate"/> applies. Default 1,000.</summary>
    public double ExtensionMessageBurst { get; init; } = 1_000;

    /// <summary>Leave the stream open when the connection ends (default: dispose it).</summary>
    public bool LeaveStreamOpen { get; init; }

    /// <summary>Where the connection logs (category <see cref="ProtocolConnection"/>). Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The clock of keep-alive pings, the idle timeout and the drain on dispose. Default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The template's clock, or <paramref name="fallback"/> when the template keeps the system clock.</summary>
    internal static TimeProvider TimeProviderOr(ProtocolConnectionOptions template, TimeProvider fallback)
        => ReferenceEquals(template.TimeProvider, TimeProvider.System) ? fallback : template.TimeProvider;

    /// <summary>The template's logger factory, or <paramref name="fallback"/> when the template sets none.</summary>
    internal static ILoggerFactory LoggerFactoryOr(ProtocolConnectionOptions template, ILoggerFactory fallback)
        => ReferenceEquals(template.LoggerFactory, NullLoggerFactory.Instance) ? fallback : template.LoggerFactory;

    // Deterministic handshakes for test vectors; never set in production.
    internal NoiseKeyPair? EphemeralKeyPair { get; init; }
    internal byte[]? PayloadNonce { get; init; }
}
