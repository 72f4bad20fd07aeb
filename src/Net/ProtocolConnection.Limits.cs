// Limits on what a remote can make this connection hold (issue 20, defects 2 and 4): the frame size
// allowed in the connection's state, the channels the remote may have open, the messages waiting
// behind our sends (Dispatch), and messages per second per channel (token buckets: Data excepted,
// extension messages on their own, tighter bucket). Over a limit the
// connection ends with a PeerAbuseException, logged here and read by whoever admitted the
// connection (Admission.AdmissionControl.Release penalizes the address).
//
// Receive buffers: the pipe grows with the bytes that actually arrive (segments of a few KiB), never
// with what a length prefix promises, and a frame over the state's cap is refused as soon as its
// length is read. MaxBufferedReceiveBytes shows the high-water mark.
using Cabal.Net.Admission;
using Cabal.Net.Internal;
using Cabal.Net.Protocol;

namespace Cabal.Net;

public sealed partial class ProtocolConnection
{
    private int _channelInUse;
    private int _smallFramesOnly;
    private long _maxBuffered;

    /// <summary>Largest number of received bytes held at once, waiting for a frame to complete (high-water mark).</summary>
    public long MaxBufferedReceiveBytes => Interlocked.Read(ref _maxBuffered);

    /// <summary>True once a channel has been open both ways: frames may then be as large as the protocol allows.</summary>
    public bool ChannelInUse => Volatile.Read(ref _channelInUse) != 0;

    /// <summary>
    /// While true, frames stay capped at <see cref="ProtocolConnectionOptions.MaxFrameSizeBeforeChannel"/>
    /// even once a channel is open both ways. A layer with a handshake of its own sets it until that
    /// handshake is done (multifeed: until the remote's HANDSHAKE arrives; it clears it from the
    /// receive loop, so the very next frame may be large).
    /// </summary>
    public bool SmallFramesOnly
    {
        get => Volatile.Read(ref _smallFramesOnly) != 0;
        set => Volatile.Write(ref _smallFramesOnly, value ? 1 : 0);
    }

    private int MaxFrameBodyNow => ChannelInUse && !SmallFramesOnly ? FrameParser.MaxBodySize : _options.MaxFrameSizeBeforeChannel;

    private void MarkChannelInUse() => Volatile.Write(ref _channelInUse, 1);

    private TokenBucket? _streamExtensionRate; // extension messages before any channel (receive loop only)

    /// <summary>Receive loop: one more non-Data message on <paramref name="channel"/>; throws past the channel's rate.</summary>
    private void CheckMessageRate(ProtocolChannel channel)
    {
        var bucket = channel.RemoteMessageRate ??= new TokenBucket(_options.ChannelMessageRate, _options.ChannelMessageBurst, _options.TimeProvider);
        if (!bucket.TryTake())
            throw Abuse($"more than {_options.ChannelMessageRate:0.#} messages a second on channel {channel.LocalId} (burst {_options.ChannelMessageBurst:0})");
    }

    /// <summary>Receive loop: one more extension message on <paramref name="channel"/> (null: the stream); throws past the rate.</summary>
    private void CheckExtensionRate(ProtocolChannel? channel)
    {
        var bucket = channel is null
            ? _streamExtensionRate ??= NewExtensionBucket()
            : channel.RemoteExtensionRate ??= NewExtensionBucket();
        if (!bucket.TryTake())
            throw Abuse($"more than {_options.ExtensionMessageRate:0.#} extension messages a second on {(channel is null ? "the stream" : $"channel {channel.LocalId}")} (burst {_options.ExtensionMessageBurst:0})");

        TokenBucket NewExtensionBucket() => new(_options.ExtensionMessageRate, _options.ExtensionMessageBurst, _options.TimeProvider);
    }

    private void NoteBuffered(long bytes)
    {
        if (bytes > Interlocked.Read(ref _maxBuffered)) Interlocked.Exchange(ref _maxBuffered, bytes); // one reader: no race to lose
    }

    /// <summary>Logs why the remote is being cut off and returns the exception that ends the connection.</summary>
    private PeerAbuseException Abuse(string reason, Exception? inner = null)
    {
        ConnectionLog.Abuse(_log, RemoteStaticKey is { } k ? Convert.ToHexStringLower(k.Span)[..16] : "(handshaking)", reason);
        return new PeerAbuseException(reason, inner);
    }
}
