// Channels (hypercore-protocol 8 Channelizer; spec/hypercore.md §8.1–§8.3).
//   * Local ids 1, 2, 3... in order of OpenChannel, never reused (a reject-Close uses one too).
//   * The remote's ids are learned from its Opens: _remote maps remote id -> what it opened.
//   * An Open for a feed we have not opened raises DiscoveryKey; opening it later checks the capability
//     the remote sent then. A bad capability closes (or rejects) that channel only.
//   * Messages for remote ids that are not open both ways are dropped, as JS does.
// All table state is guarded by _gate; user callbacks run outside it. Feeds are keyed by discovery
// key as a Key32 value.
using Cabal.Net.Crypto;
using Cabal.Net.Internal;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net;

public sealed partial class ProtocolConnection
{
    /// <summary>What the remote opened on one of its ids; Channel is set once it is ours too.</summary>
    private sealed class RemoteOpen(ulong remoteId, byte[] discoveryKey, ByteString? capability)
    {
        public ulong RemoteId { get; } = remoteId;
        public byte[] DiscoveryKey { get; } = discoveryKey;
        public Key32 Key { get; } = new(discoveryKey);
        public ByteString? Capability { get; } = capability;
        public ProtocolChannel? Channel { get; set; }
    }

    private readonly Dictionary<ulong, ProtocolChannel> _localChannels = [];
    private readonly Dictionary<Key32, ProtocolChannel> _channelsByKey = [];
    private readonly Dictionary<ulong, RemoteOpen> _remoteChannels = [];
    private readonly Dictionary<Key32, RemoteOpen> _remoteOnly = [];
    private ulong _nextLocalId = 1;

    /// <summary>
    /// Raised on the receive loop when the remote opens a feed we have not opened; call OpenChannel
    /// from the handler (with the feed key) to accept. Never raised for feeds we opened first.
    /// </summary>
    public event EventHandler<DiscoveryKeyEventArgs>? DiscoveryKey;

    /// <summary>Channels currently open locally.</summary>
    public IReadOnlyList<ProtocolChannel> Channels
    {
        get { lock (_gate) return [.. _localChannels.Values]; }
    }

    /// <summary>True if the remote has announced (opened) this discovery key and we have not answered yet.</summary>
    public bool IsRemoteOpenPending(ReadOnlySpan<byte> discoveryKey)
    {
        if (discoveryKey.Length != Key32.Size) return false;
        var key = new Key32(discoveryKey);
        lock (_gate) return _remoteOnly.ContainsKey(key);
    }

    /// <summary>
    /// Opens the feed <paramref name="feedKey"/> (32 bytes) on a new local id, or returns the channel
    /// already open for it. The Open frame is queued now and written after the handshake. If the remote
    /// opened this feed first with a capability that does not verify, the feed is rejected instead
    /// (Close{discoveryKey}) and the returned channel is already closed (CapabilityMismatch).
    /// After the connection ended the returned channel is closed (ConnectionEnded).
    /// </summary>
    public ProtocolChannel OpenChannel(ReadOnlySpan<byte> feedKey)
    {
        var key = feedKey.ToArray();
        var discoveryKey = HypercoreCrypto.DiscoveryKey(key);
        var dk = new Key32(discoveryKey);
        ProtocolChannel channel;
        var duplex = false;

        lock (_gate)
        {
            if (_channelsByKey.TryGetValue(dk, out var existing)) return existing;
            channel = new ProtocolChannel(this, key, discoveryKey, _nextLocalId++);
            if (_ended)
            {
                channel.MarkClosed(ChannelCloseReason.ConnectionEnded);
                return channel;
            }

            if (_remoteOnly.Remove(dk, out var remote))
            {
                if (!VerifyRemoteCapability(key, remote.Capability))
                {
                    _remoteChannels.Remove(remote.RemoteId);
                    EnqueueMessageLocked(channel.LocalId, new Close { DiscoveryKey = ByteString.CopyFrom(discoveryKey) });
                    ConnectionLog.RejectedOpen(_log, dk);
                    channel.MarkClosed(ChannelCloseReason.CapabilityMismatch);
                    return channel;
                }
                remote.Channel = channel;
                channel.RemoteId = remote.RemoteId;
                duplex = true;
            }

            _localChannels.Add(channel.LocalId, channel);
            _channelsByKey.Add(dk, channel);
            EnqueueLocked(OutboundFrame.Open(channel));
            ConnectionLog.ChannelOpened(_log, channel.LocalId, dk);
            if (duplex) OnDuplexLocked(channel);
        }

        if (duplex) channel.MarkRemoteOpen();
        return channel;
    }

    /// <summary>
    /// Declines a feed the remote opened (Close{discoveryKey} on a fresh local id), as JS
    /// stream.close(discoveryKey) does for feeds it never opened. Closes our channel if we had one.
    /// </summary>
    public void RejectChannel(ReadOnlySpan<byte> discoveryKey)
    {
        var key = new Key32(discoveryKey);
        ProtocolChannel? open;
        lock (_gate)
        {
            if (_ended) return;
            if (!_channelsByKey.TryGetValue(key, out open))
            {
                if (_remoteOnly.Remove(key, out var remote)) _remoteChannels.Remove(remote.RemoteId);
                EnqueueMessageLocked(_nextLocalId++, new Close { DiscoveryKey = ByteString.CopyFrom(discoveryKey) });
                return;
            }
        }
        CloseChannel(open, ChannelCloseReason.LocalClose);
    }

    internal void CloseChannel(ProtocolChannel channel, ChannelCloseReason reason)
    {
        lock (_gate) CloseChannelLocked(channel, reason, sendClose: true);
    }

    internal bool SendOnChannel(ProtocolChannel channel, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is Open or Close or Options)
            throw new ArgumentException($"{message.Descriptor.Name} is managed by the connection: use OpenChannel, Close, RegisterExtension or RequestAcks.", nameof(message));
        var frame = Serialize(channel.LocalId, message);
        lock (_gate)
        {
            if (!channel.IsClosed && !_ended) return EnqueueLocked(frame);
        }
        frame.Release();
        return false;
    }

    internal bool GetRequestAcks(ProtocolChannel channel)
    {
        lock (_gate) return channel.LocalAck;
    }

    internal void SetRequestAcks(ProtocolChannel channel, bool value)
    {
        lock (_gate)
        {
            channel.LocalAck = value;
            AnnounceChannelOptionsLocked(channel);
        }
    }

    private void OnOpen(ulong remoteId, Open open)
    {
        // No feed has such a discovery key: nothing could ever answer it (JS would leave it unanswered too).
        if (open.DiscoveryKey.Length != Key32.Size)
        {
            ConnectionLog.OpenIgnored(_log, remoteId, open.DiscoveryKey.Length);
            return;
        }
        var discoveryKey = open.DiscoveryKey.ToByteArray();
        var remote = new RemoteOpen(remoteId, discoveryKey, open.HasCapability ? open.Capability : null);
        var dk = remote.Key;
        ProtocolChannel? duplex = null;
        var announce = false;

        lock (_gate)
        {
            // The remote reused one of its ids: forget whatever that id meant before.
            if (_remoteChannels.Remove(remoteId, out var previous))
            {
                if (previous.Channel is { } reassigned) reassigned.RemoteId = null;
                if (_remoteOnly.TryGetValue(previous.Key, out var pending) && ReferenceEquals(pending, previous)) _remoteOnly.Remove(previous.Key);
            }

            if (_channelsByKey.TryGetValue(dk, out var channel))
            {
                if (!VerifyRemoteCapability(channel.KeyArray, remote.Capability))
                {
                    ConnectionLog.CapabilityMismatch(_log, channel.LocalId, dk);
                    CloseChannelLocked(channel, ChannelCloseReason.CapabilityMismatch, sendClose: true);
                    return;
                }
                if (channel.RemoteId is { } stale) _remoteChannels.Remove(stale);
                remote.Channel = channel;
                channel.RemoteId = remoteId;
                _remoteChannels[remoteId] = remote;
                OnDuplexLocked(channel);
                duplex = channel;
            }
            else
            {
                if (_remoteOnly.Remove(dk, out var older)) _remoteChannels.Remove(older.RemoteId);
                _remoteChannels[remoteId] = remote;
                _remoteOnly[dk] = remote;
                announce = true;
                if (_remoteChannels.Count > _options.MaxRemoteChannels)
                    throw Abuse($"the remote has more than {_options.MaxRemoteChannels} channels open");
                ConnectionLog.RemoteOpenedUnknown(_log, dk, remoteId);
            }
        }

        duplex?.MarkRemoteOpen();
        if (announce && DiscoveryKey is { } handler)
            InvokeSafely(() => handler(this, new DiscoveryKeyEventArgs(discoveryKey)));
    }

    private void OnClose(ulong remoteId, Close close)
    {
        lock (_gate)
        {
            if (!_remoteChannels.Remove(remoteId, out var remote) && close.HasDiscoveryKey && close.DiscoveryKey.Length == Key32.Size)
            {
                var key = new Key32(close.DiscoveryKey.Span);
                if (_remoteOnly.Remove(key, out remote)) _remoteChannels.Remove(remote.RemoteId);
                else if (_channelsByKey.TryGetValue(key, out var byKey)) remote = new RemoteOpen(remoteId, byKey.DiscoveryKey.ToArray(), null) { Channel = byKey };
            }
            if (remote is null) return;

            if (_remoteOnly.TryGetValue(remote.Key, out var pending) && ReferenceEquals(pending, remote)) _remoteOnly.Remove(remote.Key);
            if (remote.Channel is { } channel)
            {
                channel.RemoteId = null;
                CloseChannelLocked(channel, ChannelCloseReason.RemoteClose, sendClose: true);
            }
        }
    }

    private void OnOptions(ulong remoteId, Options options)
    {
        ProtocolChannel? channel;
        lock (_gate)
        {
            channel = ChannelForRemoteLocked(remoteId);
            if (channel is null)
            {
                // Channel 0 is the stream itself unless the remote (wrongly) opened a feed on it.
                if (remoteId == 0 && !_remoteChannels.ContainsKey(0)) _streamExtensions.UpdateRemote(options.Extensions);
                else ConnectionLog.MessageDropped(_log, MessageType.Options, remoteId);
                return;
            }
            channel.Extensions.UpdateRemote(options.Extensions);
            channel.RemoteOptions = options;
        }
        Dispatch(channel, options);
    }

    private void OnChannelMessage(ulong remoteId, MessageType type, IMessage message)
    {
        ProtocolChannel? channel;
        lock (_gate) channel = ChannelForRemoteLocked(remoteId);
        if (channel is null) ConnectionLog.MessageDropped(_log, type, remoteId);
        else
        {
            if (type != MessageType.Data) CheckMessageRate(channel);
            Dispatch(channel, message);
        }
    }

    private void OnInvalidMessage(InvalidMessageException error)
    {
        lock (_gate)
        {
            var channel = _remoteChannels.TryGetValue(error.Channel, out var remote) ? remote.Channel : null;
            if (channel is null)
            {
                ConnectionLog.InvalidMessageIgnored(_log, error.Channel, error);
                return;
            }
            ConnectionLog.InvalidMessage(_log, channel.LocalId, error);
            CloseChannelLocked(channel, ChannelCloseReason.InvalidMessage, sendClose: true);
        }
    }

    /// <summary>The channel for a remote id if it is open both ways, else null.</summary>
    private ProtocolChannel? ChannelForRemoteLocked(ulong remoteId)
        => _remoteChannels.TryGetValue(remoteId, out var remote) && remote.Channel is { IsClosed: false } channel ? channel : null;

    private bool VerifyRemoteCapability(byte[] feedKey, ByteString? capability)
    {
        if (capability is null) return false;
        var split = _split!;
        return HypercoreCrypto.CapabilityEquals(capability.Span, HypercoreCrypto.RemoteCapability(feedKey, split.Rx, split.Tx));
    }

    /// <summary>Both sides have opened: first thing on the channel is our Options, as hypercore's Peer does.</summary>
    private void OnDuplexLocked(ProtocolChannel channel)
    {
        MarkChannelInUse();
        ConnectionLog.ChannelDuplex(_log, channel.LocalId, channel.RemoteId ?? 0);
        AnnounceChannelOptionsLocked(channel);
    }

    private void CloseChannelLocked(ProtocolChannel channel, ChannelCloseReason reason, bool sendClose)
    {
        if (channel.IsClosed) return;
        _localChannels.Remove(channel.LocalId);
        var key = new Key32(channel.DiscoveryKey.Span);
        if (_channelsByKey.TryGetValue(key, out var current) && ReferenceEquals(current, channel)) _channelsByKey.Remove(key);
        if (channel.RemoteId is { } remoteId && _remoteChannels.TryGetValue(remoteId, out var remote) && ReferenceEquals(remote.Channel, channel))
            _remoteChannels.Remove(remoteId);
        if (sendClose && !_ended) EnqueueMessageLocked(channel.LocalId, new Close());
        ConnectionLog.ChannelClosed(_log, channel.LocalId, reason);
        channel.MarkClosed(reason);
    }

    private void CloseAllChannels()
    {
        lock (_gate)
        {
            foreach (var channel in _localChannels.Values.ToArray()) CloseChannelLocked(channel, ChannelCloseReason.ConnectionEnded, sendClose: false);
            _remoteChannels.Clear();
            _remoteOnly.Clear();
        }
    }
}
