using Cabal.Chat.Messages;
using Cabal.Net.Crypto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Chat;

/// <summary>Options for <see cref="CabalCore.OpenAsync"/>.</summary>
public sealed record CabalOptions
{
    /// <summary>Directory of this cabal's views (an LMDB environment). Default: &lt;feed store&gt;/views/&lt;cabal key&gt;.</summary>
    public string? ViewsDirectory { get; init; }

    /// <summary>
    /// Identity for the local writer when it is created (default: a new key pair). Once created, the
    /// writer's secret key lives in its feed's header in the store and this is not consulted. Default null.
    /// </summary>
    public KeyPair? LocalKeyPair { get; init; }

    /// <summary>Size limits for reading entries. Default <see cref="ChatLimits"/>' defaults.</summary>
    public ChatLimits Limits { get; init; } = new();

    /// <summary>Most entries indexed per LMDB commit. Default 2,000 (≈ a few ms per commit).</summary>
    public int MaxEntriesPerCommit { get; init; } = 2000;

    /// <summary>LMDB map size of the views: the most they can hold (sparse on disk). Default 16 GiB.</summary>
    public long ViewsMapSize { get; init; } = 16L << 30;

    /// <summary>Flush each index commit to disk. Default true; tests may turn it off.</summary>
    public bool Durable { get; init; } = true;

    /// <summary>Treat "block" like "hide" when filtering what the user sees (cabal-cli 15 ignores block). Default true.</summary>
    public bool HideBlockedUsers { get; init; } = true;

    /// <summary>
    /// Delete a user's feed from the store once they are blocked cabal-wide (by me, or by an admin or
    /// mod), not only stop replicating it; at open, blocked users' feeds still held are deleted too.
    /// Unblocking makes the feed replicable again (it is fetched anew). Default false: a blocked
    /// feed is kept, unserved.
    /// </summary>
    public bool DeleteBlockedFeeds { get; init; }

    /// <summary>Capacity of each event subscriber's queue before its oldest events are dropped. Default 4,096.</summary>
    public int EventQueueCapacity { get; init; } = 4096;

    /// <summary>Wall clock for timestamps and the future-timestamp rule. Default system time.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Timestamp generator. Default <see cref="MonotonicTimestamp.Shared"/> (one per process, as in JS), or one on <see cref="TimeProvider"/> if that is not the system clock.</summary>
    public MonotonicTimestamp? Timestamps { get; init; }

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
