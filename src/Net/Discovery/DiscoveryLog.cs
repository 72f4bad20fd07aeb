// Log events of LAN discovery: 5xxx (see TransportLog for the other ranges).
using System.Net;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Discovery;

internal static partial class DiscoveryLog
{
    [LoggerMessage(5001, LogLevel.Information, "LAN discovery on {Group}")]
    public static partial void Started(ILogger logger, IPEndPoint group);

    [LoggerMessage(5002, LogLevel.Debug, "Dropped a discovery datagram from {Source}: {Reason}")]
    public static partial void Dropped(ILogger logger, IPAddress source, string reason);

    [LoggerMessage(5003, LogLevel.Debug, "Found peer {PeerId} at {EndPoint}")]
    public static partial void Found(ILogger logger, string peerId, IPEndPoint endPoint);

    [LoggerMessage(5004, LogLevel.Warning, "Sending a discovery datagram failed")]
    public static partial void SendFailed(ILogger logger, Exception error);

    [LoggerMessage(5005, LogLevel.Warning, "Receiving discovery datagrams failed")]
    public static partial void ReceiveFailed(ILogger logger, Exception error);

    [LoggerMessage(5006, LogLevel.Error, "A discovery callback threw")]
    public static partial void CallbackFailed(ILogger logger, Exception error);

    [LoggerMessage(5007, LogLevel.Trace, "Sent {Type} for {Count} topic(s)")]
    public static partial void Sent(ILogger logger, DiscoveryPacketType type, int count);
}
