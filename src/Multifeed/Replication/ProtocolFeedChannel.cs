// Adapts a Cabal.Net ProtocolChannel to the replication state machine and pumps its messages.
using Cabal.Net;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Replication;

internal sealed class ProtocolFeedChannel(ProtocolChannel channel, ILogger logger) : IFeedChannel
{
    private string? _remoteId;

    // Known only after the handshake; channels may be opened before it completes.
    public string RemoteId => _remoteId ?? (channel.Connection.RemoteStaticKey is { } k ? _remoteId = Convert.ToHexStringLower(k) : "unknown");

    public bool RemoteAck => channel.RemoteOptions is { HasAck: true, Ack: true };

    public void Send(IMessage message) => channel.Send(message);

    public void SetLocalAck(bool ack) => channel.RequestAcks = ack;

    public void Close(string reason)
    {
        logger.LogDebug(new EventId(3010, "ChannelClosedByReplication"), "Closing channel {Channel}: {Reason}", channel.LocalId, reason);
        channel.Close();
    }

    /// <summary>
    /// Starts the peer once the remote's Open is verified, then hands it every message in order.
    /// Before each message it waits while the connection's send queue is over its bound, so a
    /// remote that requests faster than it reads cannot make our memory grow.
    /// </summary>
    public static async Task PumpAsync(ProtocolChannel channel, FeedPeer peer, CancellationToken ct)
    {
        try
        {
            if (!await channel.RemoteOpened.WaitAsync(ct).ConfigureAwait(false)) return;
            peer.Start();
            var reader = channel.Messages;
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    peer.OnMessage(message);
                    if (channel.Connection.QueuedSendBytes > 0)
                        await channel.Connection.WaitForSendCapacityAsync(ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            peer.OnClosed();
        }
    }
}
