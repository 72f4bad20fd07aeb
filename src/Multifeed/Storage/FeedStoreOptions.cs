using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Multifeed.Storage;

/// <summary>Options for <see cref="FeedStore.Open"/>.</summary>
public sealed record FeedStoreOptions
{
    /// <summary>LMDB map size: the most the store can ever hold. Sparse on disk. Default 64 GiB.</summary>
    public long MapSize { get; init; } = 64L << 30;

    /// <summary>Most write operations folded into one LMDB commit. Default 4096.</summary>
    public int MaxOpsPerCommit { get; init; } = 4096;

    /// <summary>
    /// Whether each commit is flushed to disk before its task completes (LMDB's default).
    /// Default true: an append is durable when its task completes. Tests of throughput may turn it off.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>Where the store logs (category <see cref="FeedStore"/>). Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>
    /// Fault injection for tests: called before every commit; an exception returned fails that
    /// commit as a full disk or an I/O error would (nothing of it is written). Default null.
    /// </summary>
    internal Func<Exception?>? CommitFault { get; init; }
}
