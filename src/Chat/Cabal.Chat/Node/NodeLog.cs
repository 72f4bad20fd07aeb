using Microsoft.Extensions.Logging;

namespace Cabal.Chat.Node;

/// <summary>Log messages of <see cref="CabalNode"/>: LAN discovery and the peers file.</summary>
internal static partial class NodeLog
{
    [LoggerMessage(EventId = 8401, Level = LogLevel.Warning, Message = "LAN discovery is unavailable: {Reason}")]
    public static partial void LanUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 8402, Level = LogLevel.Debug, Message = "Could not record peer {Address}")]
    public static partial void PeerNotRecorded(ILogger logger, string address, Exception error);

    [LoggerMessage(EventId = 8403, Level = LogLevel.Warning, Message = "The DHT is unavailable (cabals run on LAN and --peer only): {Reason}")]
    public static partial void DhtUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 8404, Level = LogLevel.Information, Message = "DHT started on {Address} with {Count} bootstrap nodes")]
    public static partial void DhtStarted(ILogger logger, string address, int count);

    [LoggerMessage(EventId = 8405, Level = LogLevel.Information, Message = "DHT bootstrapped: {Nodes} nodes in the routing table")]
    public static partial void DhtBootstrapped(ILogger logger, int nodes);

    [LoggerMessage(EventId = 8406, Level = LogLevel.Warning, Message = "No DHT bootstrap node answered ({Bootstrap}): peers are found on LAN and --peer only until one does")]
    public static partial void NoBootstrapAnswered(ILogger logger, string bootstrap);

    [LoggerMessage(EventId = 8407, Level = LogLevel.Warning, Message = "DHT bootstrap failed")]
    public static partial void DhtBootstrapFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 8408, Level = LogLevel.Information, Message = "Cabal {Cabal} joined the swarm on topic {Topic}")]
    public static partial void SwarmJoined(ILogger logger, string cabal, string topic);

    [LoggerMessage(EventId = 8409, Level = LogLevel.Debug, Message = "Swarm connection for cabal {Cabal} refused (at capacity or closing): {Connection}")]
    public static partial void SwarmConnectionRefused(ILogger logger, string cabal, string connection);

    [LoggerMessage(EventId = 8410, Level = LogLevel.Warning, Message = "Leaving the swarm took longer than {Timeout}; closing anyway")]
    public static partial void LeaveTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 8411, Level = LogLevel.Warning, Message = "A DHT event handler or shutdown step failed")]
    public static partial void HandlerFailed(ILogger logger, Exception error);
}
