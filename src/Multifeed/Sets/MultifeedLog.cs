using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Sets;

internal static partial class MultifeedLog
{
    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Ending multifeed session with {Peer}: {Reason}")]
    public static partial void SessionEnded(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Warning, Message = "Ignoring offered feed {Feed}: the store holds it for another cabal")]
    public static partial void ForeignFeed(ILogger logger, string feed);

    [LoggerMessage(EventId = 6204, Level = LogLevel.Debug, Message = "Remote {Peer} requested {Count} feed(s) we never offered on this session; ignored")]
    public static partial void UnofferedRequest(ILogger logger, string peer, int count);

    [LoggerMessage(EventId = 6205, Level = LogLevel.Debug, Message = "Session with {Peer} ready: offering {Count} feed(s), length sync {Sync}")]
    public static partial void SessionReady(ILogger logger, string peer, int count, bool sync);

    [LoggerMessage(EventId = 6206, Level = LogLevel.Debug, Message = "Session with {Peer}: replicating {Opened} feed(s), {Dormant} left unopened (same length on both sides)")]
    public static partial void Replicating(ILogger logger, string peer, int opened, int dormant);

    [LoggerMessage(EventId = 6207, Level = LogLevel.Error, Message = "Multifeed session with {Peer} failed")]
    public static partial void SessionFailed(ILogger logger, string peer, Exception error);

    [LoggerMessage(EventId = 6208, Level = LogLevel.Warning, Message = "Creating remote feed(s) in cabal {Cabal} failed")]
    public static partial void CreateFailed(ILogger logger, string cabal, Exception error);

    [LoggerMessage(EventId = 6209, Level = LogLevel.Debug, Message = "Remote {Peer} announced peer id {PeerId}")]
    public static partial void PeerId(ILogger logger, string peer, string peerId);

    [LoggerMessage(EventId = 6240, Level = LogLevel.Debug, Message = "Cabal {Cabal}: not requesting {Count} offered feed(s) the replication policy refuses (blocked or removed)")]
    public static partial void FeedsRefused(ILogger logger, string cabal, int count);

    [LoggerMessage(EventId = 6241, Level = LogLevel.Information, Message = "Cabal {Cabal}: stopped replicating feed {Feed} on {Sessions} connection(s): {Reason}")]
    public static partial void FeedStopped(ILogger logger, string cabal, string feed, int sessions, string reason);

    [LoggerMessage(EventId = 6242, Level = LogLevel.Debug, Message = "Declined the remote's Open of feed {Feed}: the replication policy refuses it")]
    public static partial void OpenRefused(ILogger logger, string feed);

    // Feed admission (issue 20, defect 3): 6243–6259.
    [LoggerMessage(EventId = 6243, Level = LogLevel.Information, Message = "Not storing feed {Feed} offered by {Peer}: {Reason}")]
    public static partial void FeedRefused(ILogger logger, string peer, string feed, string reason);

    [LoggerMessage(EventId = 6244, Level = LogLevel.Warning, Message = "Cabal {Cabal}: lockdown {On}")]
    public static partial void LockdownChanged(ILogger logger, string cabal, bool on);
}
