// Log events of the wire layer. Event ids are stable (1xxx = connection, 2xxx = channels,
// 3xxx = extensions) so operators can filter on them.
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Internal;

internal static partial class ConnectionLog
{
    [LoggerMessage(1001, LogLevel.Debug, "Handshake complete ({Role}); remote static key {RemoteKey}")]
    public static partial void HandshakeCompleted(ILogger logger, string role, string remoteKey);

    [LoggerMessage(1002, LogLevel.Debug, "Connection ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, string reason);

    [LoggerMessage(1003, LogLevel.Warning, "Connection failed")]
    public static partial void ConnectionFailed(ILogger logger, Exception error);

    [LoggerMessage(1004, LogLevel.Warning, "Nothing received for {Timeout}; ending the connection")]
    public static partial void IdleTimeout(ILogger logger, TimeSpan timeout);

    [LoggerMessage(1005, LogLevel.Error, "A connection event handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception error);

    [LoggerMessage(1006, LogLevel.Warning, "Closing the connection with {Peer}: {Reason}")]
    public static partial void Abuse(ILogger logger, string peer, string reason);

    [LoggerMessage(2001, LogLevel.Debug, "Channel {LocalId} opened locally for {DiscoveryKey}")]
    public static partial void ChannelOpened(ILogger logger, ulong localId, Key32 discoveryKey);

    [LoggerMessage(2002, LogLevel.Debug, "Remote opened {DiscoveryKey} on its channel {RemoteId}, not open here")]
    public static partial void RemoteOpenedUnknown(ILogger logger, Key32 discoveryKey, ulong remoteId);

    [LoggerMessage(2003, LogLevel.Debug, "Channel {LocalId} is open both ways (remote channel {RemoteId})")]
    public static partial void ChannelDuplex(ILogger logger, ulong localId, ulong remoteId);

    [LoggerMessage(2004, LogLevel.Warning, "Closing channel {LocalId} ({DiscoveryKey}): invalid remote capability")]
    public static partial void CapabilityMismatch(ILogger logger, ulong localId, Key32 discoveryKey);

    [LoggerMessage(2005, LogLevel.Warning, "Closing channel {LocalId}: invalid message from the remote")]
    public static partial void InvalidMessage(ILogger logger, ulong localId, Exception error);

    [LoggerMessage(2006, LogLevel.Debug, "Ignoring an invalid message for unknown remote channel {RemoteId}")]
    public static partial void InvalidMessageIgnored(ILogger logger, ulong remoteId, Exception error);

    [LoggerMessage(2007, LogLevel.Debug, "Channel {LocalId} closed: {Reason}")]
    public static partial void ChannelClosed(ILogger logger, ulong localId, ChannelCloseReason reason);

    [LoggerMessage(2008, LogLevel.Trace, "Dropped {Type} for remote channel {RemoteId}: not open both ways")]
    public static partial void MessageDropped(ILogger logger, Protocol.MessageType type, ulong remoteId);

    [LoggerMessage(2009, LogLevel.Debug, "Rejected {DiscoveryKey}: the remote's earlier Open has an invalid capability")]
    public static partial void RejectedOpen(ILogger logger, Key32 discoveryKey);

    [LoggerMessage(2010, LogLevel.Warning, "Closing channel {LocalId}: its handler threw")]
    public static partial void ChannelHandlerFailed(ILogger logger, ulong localId, Exception error);

    [LoggerMessage(2011, LogLevel.Debug, "Ignoring an Open on remote channel {RemoteId}: its discovery key is {Length} bytes, not 32")]
    public static partial void OpenIgnored(ILogger logger, ulong remoteId, int length);

    [LoggerMessage(3001, LogLevel.Trace, "Dropped extension message {Id} on channel {RemoteId}: no matching local extension")]
    public static partial void ExtensionDropped(ILogger logger, ulong id, ulong remoteId);

    [LoggerMessage(3002, LogLevel.Error, "Extension handler '{Name}' threw")]
    public static partial void ExtensionHandlerFailed(ILogger logger, string name, Exception error);
}
