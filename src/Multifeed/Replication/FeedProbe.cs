// A feed offered by a peer that we do not store yet: its channel is opened, but no Feed exists.
// Issue 20 (defect 3): a member could make us store 100,000 empty feeds with one MANIFEST. Now a
// new feed is only stored once the remote shows it holds data, learnt as cheaply as hypercore
// allows: our Want (the one a FeedPeer would send first) makes the remote answer with a Have of
// its bitfield; an empty feed answers with no bits set. The channel stays open, so when the
// remote's copy grows later (a JS writer's first append) its Have arrives here too.
//
// When a Have shows data, OnData fires once; the owner stores the feed and hands this channel to
// a FeedPeer (ReplicationSession.Replicate adopts it): the remote's Wants seen meanwhile are
// replayed so the peer answers them, and the peer's own Want fetches a fresh Have. Nothing else
// is kept, so a probe costs one channel and a few fields however much the remote sends.
using Cabal.Multifeed.Hypercore;
using Cabal.Net;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Multifeed.Replication;

public sealed class FeedProbe : IChannelHandler
{
    private const ulong WantRange = 1 << 20; // FeedPeer's first Want
    private const int MaxHaveBitfieldBytes = (int)(WantRange / 8);
    private const int MaxReplayedWants = 16;

    private readonly Lock _gate = new();
    private readonly ProtocolChannel _channel;
    private readonly Action<FeedProbe> _onData;
    private readonly Action? _progress;
    private List<Want>? _remoteWants;
    private IChannelHandler? _target;
    private bool _remoteOpened, _lengthKnown, _hasData, _closed, _signalled;

    /// <param name="progress">Called after each event of the channel (what the probe knows may have changed).</param>
    internal FeedProbe(ProtocolChannel channel, string keyHex, Action<FeedProbe> onData, Action? progress = null)
    {
        _channel = channel;
        KeyHex = keyHex;
        _onData = onData;
        _progress = progress;
    }

    /// <summary>The feed's public key, lowercase hex.</summary>
    public string KeyHex { get; }

    internal ProtocolChannel Channel => _channel;

    /// <summary>The remote said what it holds (a Have bitfield, or a Status saying it does not upload).</summary>
    public bool LengthKnown { get { lock (_gate) return _lengthKnown; } }

    /// <summary>The remote holds at least one block of the feed.</summary>
    public bool HasData { get { lock (_gate) return _hasData; } }

    /// <summary>The remote's length is known and it holds nothing: the feed is empty there.</summary>
    public bool KnownEmpty { get { lock (_gate) return _lengthKnown && !_hasData; } }

    public bool IsClosed { get { lock (_gate) return _closed; } }

    /// <summary>Handed to a FeedPeer: the probe only forwards from now on.</summary>
    public bool IsAdopted { get { lock (_gate) return _target is not null; } }

    /// <summary>
    /// Lets <see cref="OnData"/> fire again on the next Have with data: the owner could not store the
    /// feed this time (a cap, lockdown) and will look again when the remote says more.
    /// </summary>
    public void Rearm() { lock (_gate) _signalled = false; }

    void IChannelHandler.OnRemoteOpened()
    {
        lock (_gate)
        {
            if (_target is not null) { _target.OnRemoteOpened(); return; }
            _remoteOpened = true;
        }
        _channel.Send(new Want { Start = 0, Length = WantRange });
    }

    void IChannelHandler.OnMessage(IMessage message)
    {
        var signal = false;
        lock (_gate)
        {
            if (_target is not null) { _target.OnMessage(message); return; }
            switch (message)
            {
                case Have h:
                    _lengthKnown |= h.HasBitfield;
                    if (HoldsData(h)) _hasData = true;
                    break;
                case Status { Uploading: false }:
                    _lengthKnown = true; // nothing will come from it
                    break;
                case Want w:
                    // Answered as an empty feed would answer (so a remote waiting for our length is
                    // not kept waiting), and kept for the FeedPeer that may take over.
                    if (w.Start % 8192 == 0 && w.Length % 8192 == 0)
                        _channel.Send(new Have { Start = w.Start, Length = w.Length, Bitfield = ByteString.Empty });
                    if ((_remoteWants ??= []).Count < MaxReplayedWants) _remoteWants.Add(w);
                    break;
            }
            if (_hasData && !_signalled) signal = _signalled = true;
        }
        if (signal) _onData(this);
        _progress?.Invoke();
    }

    void IChannelHandler.OnClosed(ChannelCloseReason reason)
    {
        lock (_gate)
        {
            _closed = true;
            _target?.OnClosed(reason);
        }
        _progress?.Invoke();
    }

    /// <summary>Hands the channel to <paramref name="target"/>, replaying what it must know.</summary>
    internal void Handover(IChannelHandler target)
    {
        lock (_gate)
        {
            if (_target is not null) throw new InvalidOperationException("This probe was adopted already.");
            _target = target;
            if (_remoteOpened) target.OnRemoteOpened();
            if (_remoteWants is not null) foreach (var w in _remoteWants) target.OnMessage(w);
            _remoteWants = null;
            if (_closed) target.OnClosed(ChannelCloseReason.RemoteClose);
        }
    }

    internal void Close() => _channel.Close();

    /// <summary>Whether a Have claims at least one block (hypercore: no bitfield means blocks start…start+length-1).</summary>
    internal static bool HoldsData(Have h)
    {
        if (!h.HasBitfield) return !h.HasLength || h.Length > 0;
        if (h.Bitfield.IsEmpty || h.Start % 8 != 0) return false;
        try
        {
            foreach (var b in BitfieldRle.Decode(h.Bitfield.Span, MaxHaveBitfieldBytes, align: 4))
                if (b != 0) return true;
        }
        catch (InvalidBitfieldException) { }
        return false;
    }
}
