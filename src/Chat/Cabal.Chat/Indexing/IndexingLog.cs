using Cabal.Chat.Messages;
using Microsoft.Extensions.Logging;

namespace Cabal.Chat.Indexing;

/// <summary>Log messages of the indexer: commits, malformed entries, blocks it cannot read.</summary>
internal static partial class IndexingLog
{
    [LoggerMessage(EventId = 8301, Level = LogLevel.Warning, Message = "Skipped malformed entry {Feed}@{Seq}: {Reason} ({Detail})")]
    public static partial void Malformed(ILogger logger, string feed, ulong seq, SkipReason reason, string detail);

    [LoggerMessage(EventId = 8302, Level = LogLevel.Debug, Message = "Indexed {Count} entries in one commit ({Elapsed} ms)")]
    public static partial void Committed(ILogger logger, int count, double elapsed);

    [LoggerMessage(EventId = 8303, Level = LogLevel.Error, Message = "An index commit failed; retrying")]
    public static partial void CommitFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 8304, Level = LogLevel.Warning, Message = "Block {Feed}@{Seq} is below the contiguous length but cannot be read; indexing of that feed waits")]
    public static partial void BlockMissing(ILogger logger, string feed, ulong seq);

    [LoggerMessage(EventId = 8340, Level = LogLevel.Warning, Message = "Feed {Feed} was removed but its cursor could not be dropped from the views; the next open rebuilds them")]
    public static partial void CursorNotDropped(ILogger logger, string feed, Exception error);
}
