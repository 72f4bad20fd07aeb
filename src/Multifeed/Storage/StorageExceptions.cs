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
