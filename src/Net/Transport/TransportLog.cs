// Log events of the transport. Event ids are stable: 4xxx = TCP transport and connection manager
// (1xxx-3xxx belong to the wire layer, 5xxx to LAN discovery).
using System.Net;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Transport;

internal static partial class TransportLog
{
    [LoggerMessage(4001, LogLevel.Information, "Listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(4002, LogLevel.Debug, "Dialling {Address} (attempt {Attempt})")]
    public static partial void Dialling(ILogger logger, PeerAddress address, int attempt);

    [LoggerMessage(4003, LogLevel.Debug, "Dial {Address} attempt {Attempt} failed: {Reason}")]
    public static partial void DialFailed(ILogger logger, PeerAddress address, int attempt, string reason);

    [LoggerMessage(4004, LogLevel.Information, "Giving up on {Address} after {Attempts} attempts")]
    public static partial void GaveUp(ILogger logger, PeerAddress address, int attempts);

    [LoggerMessage(4005, LogLevel.Information, "Connected {Connection}")]
    public static partial void Established(ILogger logger, PeerConnection connection);

    [LoggerMessage(4006, LogLevel.Information, "Disconnected {Connection}: {Reason}")]
    public static partial void Closed(ILogger logger, PeerConnection connection, PeerCloseReason reason);

    [LoggerMessage(4007, LogLevel.Debug, "Duplicate connection to {RemoteKey}: keeping {Kept}, closing {Closed}")]
    public static partial void Duplicate(ILogger logger, string remoteKey, PeerConnection kept, PeerConnection closed);

    [LoggerMessage(4008, LogLevel.Warning, "Refused a connection from {EndPoint}: {Max} connections open")]
    public static partial void RefusedAtCapacity(ILogger logger, IPEndPoint endPoint, int max);

    [LoggerMessage(4009, LogLevel.Debug, "Handshake with {EndPoint} failed or timed out")]
    public static partial void HandshakeFailed(ILogger logger, IPEndPoint endPoint, Exception? error);

    [LoggerMessage(4010, LogLevel.Information, "{Address} is this process; not dialling it again")]
    public static partial void DialledSelf(ILogger logger, PeerAddress address);

    [LoggerMessage(4011, LogLevel.Warning, "Accept failed")]
    public static partial void AcceptFailed(ILogger logger, Exception error);

    [LoggerMessage(4012, LogLevel.Error, "A connection manager callback threw")]
    public static partial void CallbackFailed(ILogger logger, Exception error);

    [LoggerMessage(4013, LogLevel.Warning, "Shutdown did not finish within {Timeout}")]
    public static partial void ShutdownTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(4014, LogLevel.Information, "Closed a connection from {EndPoint}: its first Open, for discovery key {DiscoveryKey}, is for nothing this listener serves")]
    public static partial void Unrouted(ILogger logger, IPEndPoint endPoint, Key32 discoveryKey);

    [LoggerMessage(4015, LogLevel.Debug, "Closed a connection from {EndPoint}: no Open within {Timeout} (handshake done: {HandshakeDone})")]
    public static partial void RouteTimedOut(ILogger logger, IPEndPoint endPoint, TimeSpan timeout, bool handshakeDone);
}
