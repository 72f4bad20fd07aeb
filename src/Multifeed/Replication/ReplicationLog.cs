using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Replication;

internal static partial class ReplicationLog
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Closing feed {Feed} with {Peer}: {Reason}")]
    public static partial void FeedFault(ILogger logger, string feed, string peer, string reason);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "Ignoring request for block {Index} of {Feed} from {Peer}: {Reason}")]
    public static partial void RequestIgnored(ILogger logger, ulong index, string feed, string peer, string reason);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Storing block {Index} of {Feed} failed")]
    public static partial void StoreFailed(ILogger logger, ulong index, string feed, Exception error);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Debug, Message = "Closing channel {Channel}: {Reason}")]
    public static partial void ChannelClosed(ILogger logger, ulong channel, string reason);
}
