using Microsoft.Extensions.Logging;

namespace Cabal.Chat;

/// <summary>Log messages of <see cref="CabalCore"/>: opening a cabal, its identity and its views.</summary>
internal static partial class ChatLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Opened cabal {Cabal}: {Feeds} feeds, local user {User}, views at {Path}")]
    public static partial void Opened(ILogger logger, string cabal, int feeds, string user, string path);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "The views at {Path} had an older layout and were wiped; everything is re-indexed")]
    public static partial void ViewsReset(ILogger logger, string path);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "The views at {Path} are rebuilt from the feeds: {Reason}")]
    public static partial void ViewsRebuilt(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "The feed store had lost local writer {Feed}; restored it from the copy of its key beside the views. It refuses to publish until a re-sync from peers brings back its {Signed} published entries")]
    public static partial void IdentityRestored(ILogger logger, string feed, ulong signed);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Warning, Message = "Local writer {Feed} holds {Held} entries but had published at least {Published}: it refuses to publish until re-synced from peers")]
    public static partial void LocalFeedBehind(ILogger logger, string feed, ulong held, ulong published);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Warning, Message = "The views at {Path} are damaged: {Detail}; rebuilding them from the feeds")]
    public static partial void ViewsDamaged(ILogger logger, string path, string detail);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Error, Message = "The damaged views at {Path} could not be rebuilt")]
    public static partial void ViewsRebuildFailed(ILogger logger, string path, Exception error);

    [LoggerMessage(EventId = 8040, Level = LogLevel.Information, Message = "Cabal {Cabal}: user {User} blocked on the network: {Blocked}")]
    public static partial void NetworkBlockChanged(ILogger logger, string cabal, string user, bool blocked);

    [LoggerMessage(EventId = 8041, Level = LogLevel.Warning, Message = "A handler of NetworkBlocksChanged threw")]
    public static partial void HandlerFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 8042, Level = LogLevel.Warning, Message = "Cabal {Cabal}: deleting a blocked user's feed failed")]
    public static partial void BlockedFeedNotDeleted(ILogger logger, string cabal, Exception error);
}
