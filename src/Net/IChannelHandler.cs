namespace Cabal.Net;

/// <summary>
/// Receives one channel's events where they happen, instead of through <see cref="ProtocolChannel.Messages"/>.
/// Attach it with <see cref="ProtocolChannel.Attach"/>. Calls for one channel never overlap and come
/// in this order: <see cref="OnRemoteOpened"/> once, then every message in wire order, then
/// <see cref="OnClosed"/> once (also when the channel closed before the remote opened).
/// </summary>
/// <remarks>
/// Messages are handed over on the connection's read loop, so a handler must not block: queue, send
/// (sends never wait) or start asynchronous work, and return. An exception closes this channel only.
/// </remarks>
public interface IChannelHandler
{
    /// <summary>Both sides have opened the channel and the remote's capability verified.</summary>
    void OnRemoteOpened();

    /// <summary>One message from the remote: Options, Status, Have, Unhave, Want, Unwant, Request, Cancel or Data.</summary>
    void OnMessage(Google.Protobuf.IMessage message);

    /// <summary>The channel closed; nothing more will arrive.</summary>
    void OnClosed(ChannelCloseReason reason);
}
