// The replication state machine for one feed on one connection (hypercore 9 lib/replicate.js,
// spec/hypercore.md §9). Messages for the channel arrive one at a time from the connection's read
// loop; feed events and commit completions arrive from other threads, so state is under _gate and
// every send is a non-blocking enqueue on the channel.
//
// Unlike hypercore, a fault here (bad signature, bad proof, request timeout) closes this feed's
// channel only and bars the peer from this feed; the connection and its other feeds carry on.
using Cabal.Multifeed.Hypercore;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Replication;

public sealed partial class FeedPeer
{
    private const ulong WantRange = 1 << 20;

    private readonly Lock _gate = new();
    private readonly Feed _feed;
    private readonly FeedHub _hub;
    private readonly IFeedChannel _channel;
    private readonly ReplicationOptions _options;
    private readonly ILogger _logger;
    private bool _closed;
    private bool _started;

    internal FeedPeer(FeedHub hub, IFeedChannel channel, ReplicationOptions options, ILogger logger, RequestBudget? budget = null)
    {
        _budget = budget;
        _hub = hub;
        _feed = hub.Feed;
        _channel = channel;
        _options = options;
        _logger = logger;
        _uploading = options.Upload;
        _downloading = options.Download; // a writer too: see FeedPeer.Download.cs
    }

    public string RemoteId => _channel.RemoteId;

    public Feed Feed => _feed;

    public bool IsClosed { get { lock (_gate) return _closed; } }

    /// <summary>Called once both sides have opened the channel: the peer's opening moves (§9.2).</summary>
    public void Start()
    {
        lock (_gate) _started = true;
        _hub.Add(this);
        if (_options.Ack) _channel.SetLocalAck(true);
        lock (_gate)
        {
            if (!_uploading || !_downloading) _channel.Send(new Status { Uploading = _uploading, Downloading = _downloading });
            SendWantsLocked();
        }
        _hub.RecheckWaiters();
    }

    /// <summary>Handles one message that arrived on this channel.</summary>
    public void OnMessage(IMessage message)
    {
        if (IsClosed) return;
        try
        {
            switch (message)
            {
                case Status s: OnStatus(s); break;
                case Have h: OnHave(h); break;
                case Unhave u: OnUnhave(u); break;
                case Want w: OnWant(w); break;
                case Request r: OnRequest(r); break;
                case Data d: OnData(d); break;
                case Unwant or Cancel or Options: break; // hypercore 9 never acts on Unwant or Cancel
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong is confined to this feed on this connection.
            Fault($"{message.Descriptor.Name} could not be handled: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The channel or connection went away: release reservations so other peers can serve them.</summary>
    public void OnClosed()
    {
        int outstanding;
        long claims;
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            outstanding = InflightCount;
            claims = _claimsCharged;
            _claimsCharged = 0;
        }
        _budget?.ReleaseClaims(claims);
        _hub.Remove(this); // releases the reservations of the requests still in flight
        _feed.ClearPeerClaim(this);
        lock (_gate) _inflight = null;
        _budget?.Release(outstanding);
        _hub.RecheckWaiters();
    }

    /// <summary>Ends this feed's replication on this channel without fault: releases everything and closes the channel.</summary>
    internal void Stop(string reason)
    {
        OnClosed();
        _channel.Close(reason);
    }

    private void Fault(string reason)
    {
        ReplicationLog.FeedFault(_logger, _feed.KeyHex, RemoteId, reason);
        _hub.Bar(RemoteId);
        OnClosed();
        _channel.Close(reason);
    }

    private void OnStatus(Status s)
    {
        var dropped = 0;
        lock (_gate)
        {
            _remoteUploading = s.Uploading;
            _remoteDownloading = s.Downloading;
            if (!_remoteUploading)
            {
                _remoteLengthKnown = true; // nothing will come from it
                if (_inflight is not null) foreach (var i in _inflight.Keys) _hub.Unreserve(i);
                dropped = InflightCount;
                _inflight = null;
                _wantsSent = 0;
            }
            else SendWantsLocked();
        }
        _budget?.Release(dropped);
        Update();
        CheckEnd();
    }
}

/// <summary>One feed's replication with one peer, as far as completion goes (see <see cref="FeedPeer.SyncState"/>).</summary>
/// <param name="Started">Both sides opened the channel.</param>
/// <param name="LengthKnown">The remote said what it holds (its Have bitfield or a not-uploading Status).</param>
/// <param name="Missing">The remote holds a block we do not yet hold durably (or a request is in flight).</param>
/// <param name="Closed">The channel closed (finished, a fault, or the remote left): nothing more comes from it.</param>
/// <param name="RemoteLength">The remote's length as far as its Haves told us.</param>
public readonly record struct FeedSyncState(bool Started, bool LengthKnown, bool Missing, bool Closed, ulong RemoteLength)
{
    /// <summary>Everything this peer has (had, if closed) of the feed is stored here.</summary>
    public bool Done => Started && LengthKnown && !Missing;
}

