using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Opened feed store {Path}: {Count} feeds in {Elapsed} ms")]
    public static partial void Opened(ILogger logger, string path, int count, double elapsed);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "Skipping feed #{Feed}: its header is unreadable ({Reason}); its records are kept untouched")]
    public static partial void CorruptHeader(ILogger logger, uint feed, string reason);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "A write to the feed store failed")]
    public static partial void WriteFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "An append handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 6050, Level = LogLevel.Error, Message = "Feed store {Path}: reads still running after close waited for them; the environment stays mapped rather than crash them")]
    public static partial void ReadsOutlivedClose(ILogger logger, string path);
    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Feed {Feed} rolled back to what is on disk ({Length} blocks) after a failed write; its lost blocks will be requested again")]
    public static partial void RolledBack(ILogger logger, string feed, ulong length);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "Feed {Feed} is known to have been signed up to {Signed} blocks (was {Old}) but holds {Length}: it refuses appends until re-synced from peers")]
    public static partial void SignedLengthRaised(ILogger logger, string feed, ulong old, ulong signed, ulong length);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "A peer holds {Remote} blocks of our own feed {Feed}, we hold {Local}: appends wait until they are downloaded")]
    public static partial void PeerHoldsMore(ILogger logger, string feed, ulong remote, ulong local);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Restored writer {Feed} into the feed store from a copy of its secret key (signed length at least {Signed})")]
    public static partial void WriterRestored(ILogger logger, string feed, ulong signed);

    [LoggerMessage(EventId = 6060, Level = LogLevel.Information, Message = "Removed feed {Feed} ({Length} blocks); its records are being purged")]
    public static partial void FeedRemoved(ILogger logger, string feed, ulong length);

    [LoggerMessage(EventId = 6061, Level = LogLevel.Information, Message = "Resuming the purge of removed feed #{Feed}, interrupted before the store was last closed")]
    public static partial void PurgeResumed(ILogger logger, uint feed);

    [LoggerMessage(EventId = 6062, Level = LogLevel.Warning, Message = "Purging removed feed #{Feed} failed; it is retried at the next open")]
    public static partial void PurgeFailed(ILogger logger, uint feed, Exception error);

    [LoggerMessage(EventId = 6063, Level = LogLevel.Information, Message = "Compacted {Path}: {Before} bytes to {After} bytes")]
    public static partial void Compacted(ILogger logger, string path, long before, long after);
}
