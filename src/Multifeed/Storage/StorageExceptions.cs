namespace Cabal.Multifeed.Storage;

/// <summary>A stored record could not be read: truncated, wrong version, or inconsistent.</summary>
public sealed class StorageCorruptException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The block is within the feed's length but not held locally (a sparse feed's hole).</summary>
public sealed class BlockNotAvailableException(ulong index) : Exception($"Block {index} is not stored locally.")
{
    public ulong Index { get; } = index;
}

/// <summary>An operation needs a writable feed (one with its secret key).</summary>
public sealed class FeedNotWritableException(string key) : InvalidOperationException($"Feed {key} is read-only: this store has no secret key for it.");

/// <summary>
/// Appending now could fork the feed: it lacks blocks it has already signed (a damaged, emptied or
/// restored store, or a peer that holds more of it). A forked log is permanent damage, so nothing
/// is written. Recover by re-syncing from peers, which is always safe: they hold the signed log, and
/// once this store is back to <see cref="SignedLength"/> blocks, appends work again.
/// </summary>
public sealed class FeedRecoveryRequiredException(string key, ulong held, ulong signedLength, string reason)
    : InvalidOperationException($"Refusing to append to feed {key}: {reason}. Appending now would fork the log. "
        + $"Re-sync it from a peer that holds it (peers keep the signed log, so this is safe); appends resume once all {signedLength} blocks are back.")
{
    public string FeedKey { get; } = key;

    /// <summary>Blocks held (contiguously) when the append was refused.</summary>
    public ulong Held { get; } = held;

    /// <summary>The length the feed is known to have been signed at: what a re-sync must bring back.</summary>
    public ulong SignedLength { get; } = signedLength;
}

/// <summary>
/// The write was dropped because an earlier write of the same feed failed and the feed was rolled
/// back to what is on disk: this one was built on state that never became durable.
/// </summary>
public sealed class StaleWriteException(string message, Exception? cause = null) : IOException(message, cause);

/// <summary>
/// Another process changed the store (two programs on one data directory) since this process last
/// read it: nothing was written, so no block is ever written twice with two contents and no feed
/// number is given twice. A feed involved has been reloaded from the store; the write may be tried again.
/// </summary>
public sealed class ConcurrentWriterException(string message) : IOException(message)
{
    internal static ConcurrentWriterException ForFeed(string key, ulong expected, ulong stored) => new(
        $"Feed {key} was changed by another process using the same data directory (it holds {stored} blocks, this process expected {expected}); "
        + "nothing was written. Only one process may write to a data directory at a time.");
}
