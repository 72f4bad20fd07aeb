// Adapts a Cabal.Net ProtocolChannel to the replication state machine, both ways: the peer sends
// through it, and the channel's events reach the peer through it.
using Cabal.Net;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Replication;

internal sealed class ProtocolFeedChannel(ProtocolChannel channel, ReplicationSession session, ILogger logger) : IFeedChannel, IChannelHandler
{
    private string? _remoteId;
    private FeedPeer? _peer;

    // Known only after the handshake; channels may be opened before it completes.
    public string RemoteId => _remoteId ?? (channel.Connection.RemoteStaticKey is { } k ? _remoteId = Convert.ToHexStringLower(k.Span) : "unknown");

    public bool RemoteAck => channel.RemoteOptions is { HasAck: true, Ack: true };

    public void Send(IMessage message) => channel.Send(message);

    public void SetLocalAck(bool ack) => channel.RequestAcks = ack;

    public void Close(string reason)
    {
        ReplicationLog.ChannelClosed(logger, channel.LocalId, reason);
        channel.Close();
    }

    /// <summary>Ends the connection with a <see cref="PeerAbuseException"/>: logged, and the listener's admission backs the address off.</summary>
    public void Abort(string reason) => channel.Connection.Abort(new PeerAbuseException(reason));

    /// <summary>
    /// Hands the channel's events to <paramref name="peer"/>: Start once the remote's Open is verified,
    /// then every message in order on the connection's read loop (which keeps what the remote makes us
    /// send bounded; see ProtocolConnection.Dispatch), then OnClosed.
    /// </summary>
    public void Bind(FeedPeer peer)
    {
        _peer = peer;
        channel.Attach(this);
    }

    /// <summary>As <see cref="Bind"/>, for a channel a <see cref="FeedProbe"/> holds: the probe forwards its events.</summary>
    public void BindThrough(FeedPeer peer, FeedProbe probe)
    {
        _peer = peer;
        probe.Handover(this);
    }

    // After each event the session hears of it: a wait for sync looks again at once (see ReplicationSession.Progress).
    void IChannelHandler.OnRemoteOpened()
    {
        session.OnRemoteOpened();
        _peer!.Start();
        session.NoteProgress();
    }

    void IChannelHandler.OnMessage(IMessage message)
    {
        _peer!.OnMessage(message);
        session.NoteProgress();
    }

    void IChannelHandler.OnClosed(ChannelCloseReason reason)
    {
        _peer!.OnClosed();
        session.NoteProgress();
    }
}
