using Cabal.Multifeed.Replication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Multifeed.Sets;

/// <summary>Settings of a <see cref="MultifeedSet"/> and of every session it runs.</summary>
public sealed record MultifeedOptions
{
    /// <summary>
    /// Most feeds with data one cabal may store, the local writer included (<c>--max-feeds</c>).
    /// Empty feeds are not stored (see <see cref="Replication.FeedProbe"/>) and do not count. At the
    /// cap a new feed is stored only if <see cref="MultifeedSet.Standing"/> vouches for its user (a
    /// moderator, or named by one); feeds already held keep growing. multifeed 6 has no cap at all
    /// (spec §2.10). Default 100,000.
    /// </summary>
    public int MaxFeeds { get; init; } = 100_000;

    /// <summary>
    /// Bytes of feed data one cabal may store (<c>--max-store</c>). Once reached, a new feed is stored
    /// only if <see cref="MultifeedSet.Standing"/> vouches for its user; feeds already held keep
    /// growing (cutting a member's log mid-history would break what the chat shows). Default 8 GiB.
    /// </summary>
    public long MaxStoreBytes { get; init; } = 8L << 30;

    /// <summary>
    /// New feeds (keys the cabal does not hold) one peer may introduce per minute, after
    /// <see cref="NewFeedBurst"/>: the rest of its offers wait, and are requested as the allowance
    /// refills, while the session lasts. Default 60.
    /// </summary>
    public int NewFeedsPerMinute { get; init; } = 60;

    /// <summary>
    /// New feeds one peer may introduce at once on a session, before <see cref="NewFeedsPerMinute"/>
    /// applies: enough for a first sync of a large cabal to run at full speed. Each costs a channel,
    /// not storage, until the feed shows data. Default 2,000.
    /// </summary>
    public int NewFeedBurst { get; init; } = 2_000;

    /// <summary>
    /// Store every agreed feed at once, empty or not, as multifeed 6 does (then empty feeds count
    /// against <see cref="MaxFeeds"/>). Off, a new feed is probed and stored only once a peer shows it
    /// holds data. For comparison (perf) and for callers that want multifeed's behaviour. Default false.
    /// </summary>
    public bool StoreEmptyFeeds { get; init; }

    /// <summary>
    /// Start in lockdown (<c>cabal seed --lockdown</c>): a feed the cabal does not hold yet is taken only
    /// if <see cref="MultifeedSet.Standing"/> vouches for its user. Changed later through
    /// <see cref="MultifeedSet.Lockdown"/>. Default false.
    /// </summary>
    public bool Lockdown { get; init; }

    /// <summary>
    /// Most keys accepted in one MANIFEST, REQUEST_FEEDS or REPLICATE_FEEDS message (or lengths in one
    /// sync message); a larger one ends the session. Default 100,000 (≈6.7 MB of JSON, under the
    /// protocol's 8 MiB frame limit).
    /// </summary>
    public int MaxKeysPerMessage { get; init; } = 100_000;

    /// <summary>
    /// Most distinct keys a remote may offer over the life of one session; more ends the session, so
    /// a stream of small manifests cannot grow memory without bound. Default 200,000.
    /// </summary>
    public int MaxKeysOfferedPerSession { get; init; } = 200_000;

    /// <summary>
    /// Time a remote gets, from the start of a session, to open the cabal's root channel and send its
    /// multifeed HANDSHAKE (JS peers send it at once); after it the connection is closed with a
    /// <see cref="Cabal.Net.PeerAbuseException"/>, so a peer that opens the cabal and then only pings
    /// cannot hold a connection slot. Default 20 s (the JS receive timeout); infinite: no deadline.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Opens a remote may send on one session for feeds that are neither in the cabal nor requested
    /// there. Each is declined at once; one more than this closes the connection with a
    /// <see cref="Cabal.Net.PeerAbuseException"/> (the feeds it sent before are kept). Honest multifeed
    /// peers open only agreed feeds. Default 256.
    /// </summary>
    public int MaxUnknownOpens { get; init; } = 256;

    /// <summary>The local writer's name in cabal-core: <c>kcore.writer('local')</c>.</summary>
    public const string DefaultLocalWriterName = "local";

    /// <summary>Name of the local writer feed. Default <see cref="DefaultLocalWriterName"/>.</summary>
    public string LocalWriterName { get; init; } = DefaultLocalWriterName;

    /// <summary>
    /// When both peers are this implementation, exchange feed lengths (extension
    /// <c>CABAL_DOTNET_SYNC</c>) and leave the channels of feeds both hold completely at the same
    /// length unopened until one side's copy grows. JS peers ignore the extension. Default true.
    /// </summary>
    public bool SkipUnchangedFeeds { get; init; } = true;

    /// <summary>Register cabal-core's <c>peer-id</c> stream extension and announce the local writer's key. Default true.</summary>
    public bool AnnouncePeerId { get; init; } = true;

    /// <summary>Keys per live MANIFEST when many feeds arrive at once (multifeed sends one per feed). Default 10,000.</summary>
    public int MaxKeysPerAnnouncement { get; init; } = 10_000;

    /// <summary>
    /// Which feeds may be offered, requested, accepted and served (see <see cref="IReplicationPolicy"/>);
    /// feeds removed from the store with <c>remember</c> are refused whatever it says. Default null:
    /// every feed of the set, as multifeed does.
    /// </summary>
    public IReplicationPolicy? Policy { get; init; }

    /// <summary>Hypercore replication settings for the feeds; null: the replicator's own.</summary>
    public ReplicationOptions? Replication { get; init; }

    /// <summary>Clock of <see cref="HandshakeTimeout"/> and of waits such as <see cref="MultifeedSet.WaitForSyncAsync"/>. Default system time.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How often <see cref="MultifeedSet.WaitForSyncAsync"/> looks at the sessions. Default 50 ms.</summary>
    public TimeSpan SyncPollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Where the set and its sessions log, their replication included. Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (HandshakeTimeout <= TimeSpan.Zero && HandshakeTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentException("HandshakeTimeout must be positive or infinite.");
        if (MaxUnknownOpens < 0) throw new ArgumentException("MaxUnknownOpens must not be negative.");
        if (MaxFeeds < 1) throw new ArgumentException("MaxFeeds must be at least 1 (the local writer).");
        if (MaxStoreBytes < 0) throw new ArgumentException("MaxStoreBytes must not be negative.");
        if (NewFeedsPerMinute < 0 || NewFeedBurst < 0) throw new ArgumentException("NewFeedsPerMinute and NewFeedBurst must not be negative.");
    }
}
