// Extensions (abstract-extension 3.1.1 + hypercore-protocol 8; spec/hypercore.md §8.4).
//   Stream level (channel 0): like JS, our name list is announced in Options{extensions} on channel 0
//     lazily, right before the first extension message sent after the list changed.
//   Feed level: Options{extensions, ack} goes out when the channel becomes open both ways (if there is
//     anything to say) and again whenever the list or the ack flag changes, so an extension can be
//     registered at any time, also after the channel opened.
//   Incoming: id -> the sender's announced name -> our handler. Unknown ids or names are dropped.
using Cabal.Net.Internal;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;

namespace Cabal.Net;

public sealed partial class ProtocolConnection
{
    private readonly ExtensionRegistry _streamExtensions = new();
    private int _streamAnnouncedVersion = -1;

    /// <summary>Stream-level extension names the remote announced on channel 0.</summary>
    public IReadOnlyList<string> RemoteExtensions
    {
        get { lock (_gate) return _streamExtensions.RemoteNames; }
    }

    /// <summary>Registers a stream-level (channel 0) extension. Names are unique per scope.</summary>
    public ProtocolExtension RegisterExtension(string name, ExtensionHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        var extension = new ProtocolExtension(this, null, name, handler);
        lock (_gate) _streamExtensions.Add(extension);
        return extension;
    }

    internal ProtocolExtension RegisterChannelExtension(ProtocolChannel channel, string name, ExtensionHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        var extension = new ProtocolExtension(this, channel, name, handler);
        lock (_gate)
        {
            channel.Extensions.Add(extension);
            AnnounceChannelOptionsLocked(channel);
        }
        return extension;
    }

    internal void Unregister(ProtocolExtension extension)
    {
        lock (_gate)
        {
            if (extension.Channel is { } channel)
            {
                if (channel.Extensions.Remove(extension)) AnnounceChannelOptionsLocked(channel);
            }
            else
            {
                _streamExtensions.Remove(extension);
            }
        }
    }

    internal bool RemoteSupports(ProtocolExtension extension)
    {
        lock (_gate) return (extension.Channel?.Extensions ?? _streamExtensions).RemoteSupports(extension.Name);
    }

    internal IReadOnlyList<string> RemoteExtensionsOf(ProtocolChannel channel)
    {
        lock (_gate) return channel.Extensions.RemoteNames;
    }

    internal bool SendExtension(ProtocolExtension extension, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            if (_ended) return false;
            if (extension.Channel is { } channel)
            {
                var id = channel.Extensions.IdOf(extension);
                if (id < 0 || channel.IsClosed) return false;
                return EnqueueLocked(SerializeExtension(channel.LocalId, (ulong)id, payload));
            }

            var streamId = _streamExtensions.IdOf(extension);
            if (streamId < 0) return false;
            if (_streamAnnouncedVersion != _streamExtensions.Version)
            {
                var announce = new Options();
                announce.Extensions.AddRange(_streamExtensions.LocalNames());
                EnqueueMessageLocked(0, announce);
                _streamAnnouncedVersion = _streamExtensions.Version;
            }
            return EnqueueLocked(SerializeExtension(0, (ulong)streamId, payload));
        }
    }

    /// <summary>Sends Options on a channel open both ways when its extensions or ack flag changed.</summary>
    private void AnnounceChannelOptionsLocked(ProtocolChannel channel)
    {
        if (channel.IsClosed || channel.RemoteId is null || _ended) return;
        var unchanged = channel.AnnouncedVersion == channel.Extensions.Version && channel.AnnouncedAck == channel.LocalAck;
        var nothingToSay = channel.AnnouncedVersion < 0 && channel.Extensions.Count == 0 && !channel.LocalAck;
        if (unchanged || nothingToSay) return;
        EnqueueMessageLocked(channel.LocalId, WireMessages.Options(channel.Extensions.LocalNames(), channel.LocalAck));
        channel.AnnouncedVersion = channel.Extensions.Version;
        channel.AnnouncedAck = channel.LocalAck;
    }

    private void OnExtensionFrame(ulong remoteId, ExtensionMessage message)
    {
        ProtocolExtension? target;
        ProtocolChannel? channel;
        lock (_gate)
        {
            channel = ChannelForRemoteLocked(remoteId);
            if (channel is not null) target = channel.Extensions.Resolve(message.Id);
            else if (remoteId == 0 && !_remoteChannels.ContainsKey(0)) target = _streamExtensions.Resolve(message.Id);
            else target = null;
        }
        CheckExtensionRate(channel); // dropped ones too: they cost a parse each

        if (target is null)
        {
            ConnectionLog.ExtensionDropped(_log, message.Id, remoteId);
            return;
        }
        try
        {
            target.Handler(target, message.Payload);
        }
        catch (Exception e)
        {
            ConnectionLog.ExtensionHandlerFailed(_log, target.Name, e);
        }
    }
}
