using Microsoft.Extensions.Logging;

namespace Cabal.Chat.Node;

/// <summary>Log messages of <see cref="CabalNode"/>: LAN discovery and the peers file.</summary>
internal static partial class NodeLog
{
    [LoggerMessage(EventId = 8401, Level = LogLevel.Warning, Message = "LAN discovery is unavailable: {Reason}")]
    public static partial void LanUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 8402, Level = LogLevel.Debug, Message = "Could not record peer {Address}")]
    public static partial void PeerNotRecorded(ILogger logger, string address, Exception error);
}
