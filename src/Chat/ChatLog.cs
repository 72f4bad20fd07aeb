using Cabal.Chat.Messages;
using Microsoft.Extensions.Logging;

namespace Cabal.Chat;

internal static partial class ChatLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Opened cabal {Cabal}: {Feeds} feeds, local user {User}, views at {Path}")]
    public static partial void Opened(ILogger logger, string cabal, int feeds, string user, string path);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Skipped malformed entry {Feed}@{Seq}: {Reason} ({Detail})")]
    public static partial void Malformed(ILogger logger, string feed, ulong seq, SkipReason reason, string detail);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Indexed {Count} entries in one commit ({Elapsed} ms)")]
    public static partial void Committed(ILogger logger, int count, double elapsed);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "An index commit failed; retrying")]
    public static partial void CommitFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Block {Feed}@{Seq} is below the contiguous length but cannot be read; indexing of that feed waits")]
    public static partial void BlockMissing(ILogger logger, string feed, ulong seq);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Moderation entry {Feed}@{Seq} refused: {Author} may not change {Target} in {Group}")]
    public static partial void ModerationRefused(ILogger logger, string feed, ulong seq, string author, string target, string group);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "The views at {Path} had an older layout and were wiped; everything is re-indexed")]
    public static partial void ViewsReset(ILogger logger, string path);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "An event subscriber is full; dropped its oldest event")]
    public static partial void SubscriberLagging(ILogger logger);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "The views at {Path} are rebuilt from the feeds: {Reason}")]
    public static partial void ViewsRebuilt(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "The feed store had lost local writer {Feed}; restored it from the copy of its key beside the views. It refuses to publish until a re-sync from peers brings back its {Signed} published entries")]
    public static partial void IdentityRestored(ILogger logger, string feed, ulong signed);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Local writer {Feed} holds {Held} entries but had published at least {Published}: it refuses to publish until re-synced from peers")]
    public static partial void LocalFeedBehind(ILogger logger, string feed, ulong held, ulong published);
}
