// One feed on one connection (hypercore-protocol 8 Channel; spec/hypercore.md §8). Created by
// ProtocolConnection.OpenChannel. The local id is ours and never reused; the remote id is learned from
// the remote's Open. Open/close state: ProtocolChannel.State.cs; inbound messages: ProtocolChannel.Dispatch.cs.
using Cabal.Net.Internal;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net;

public sealed partial class ProtocolChannel
{
    private readonly byte[] _key;

    internal ProtocolChannel(ProtocolConnection connection, byte[] key, byte[] discoveryKey, ulong localId)
    {
        Connection = connection;
        _key = key;
        DiscoveryKey = discoveryKey;
        LocalId = localId;
    }

    public ProtocolConnection Connection { get; }

    /// <summary>The feed (public) key. Never sent on the wire; it proves itself through the capability.</summary>
    public ReadOnlySpan<byte> Key => _key;

    internal byte[] KeyArray => _key;

    /// <summary>discoveryKey(feed key): what the Open carries, and what the remote knows the feed by.</summary>
    public ReadOnlyMemory<byte> DiscoveryKey { get; }

    /// <summary>Our id for this feed: the channel number in the headers of frames we send.</summary>
    public ulong LocalId { get; }

    /// <summary>The remote's id for this feed, once its verified Open has arrived.</summary>
    public ulong? RemoteId { get; internal set; }

    /// <summary>The remote's message rate on this channel (receive loop only; created at its first message).</summary>
    internal Admission.TokenBucket? RemoteMessageRate { get; set; }

    /// <summary>The remote's extension-message rate on this channel (receive loop only).</summary>
    internal Admission.TokenBucket? RemoteExtensionRate { get; set; }

    /// <summary>The remote's latest Options on this channel (extensions and the ack flag), if any.</summary>
    public Options? RemoteOptions { get; internal set; }

    /// <summary>Extension names the remote announced on this channel.</summary>
    public IReadOnlyList<string> RemoteExtensions => Connection.RemoteExtensionsOf(this);

    /// <summary>
    /// The ack flag of our Options ("acknowledge every block I send"). Setting it re-announces Options
    /// once the channel is open both ways. Cabal leaves it false.
    /// </summary>
    public bool RequestAcks
    {
        get => Connection.GetRequestAcks(this);
        set => Connection.SetRequestAcks(this, value);
    }

    internal bool LocalAck { get; set; }
    internal Internal.ExtensionRegistry Extensions { get; } = new();
    internal int AnnouncedVersion { get; set; } = -1;
    internal bool AnnouncedAck { get; set; }

    /// <summary>
    /// Queues a message (Status, Have, Unhave, Want, Unwant, Request, Cancel or Data) without blocking;
    /// false if the channel is closed. The message must not be modified afterwards. JS peers drop
    /// messages for feeds they have not opened, so wait for <see cref="RemoteOpened"/> first.
    /// </summary>
    public bool Send(IMessage message) => Connection.SendOnChannel(this, message);

    /// <summary>Like <see cref="Send"/>, then waits while the connection's send queue is over its bound.</summary>
    public async ValueTask<bool> SendAsync(IMessage message, CancellationToken cancellationToken = default)
    {
        if (!Send(message)) return false;
        await Connection.WaitForSendCapacityAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Registers a feed-level extension, at any time; the name list is (re-)announced in Options.</summary>
    public ProtocolExtension RegisterExtension(string name, ExtensionHandler handler)
        => Connection.RegisterChannelExtension(this, name, handler);

    /// <summary>Sends Close and forgets the channel. Idempotent.</summary>
    public void Close() => Connection.CloseChannel(this, ChannelCloseReason.LocalClose);

    public override string ToString() => $"Channel {LocalId} ({Convert.ToHexStringLower(DiscoveryKey.Span)[..8]}…)";
}
