// The sans-IO state machine of one UDX stream, wire-compatible with libudx (spec/hyperswarm.md §6):
// packets and time go in (OnPacket, Write, End, OnTimer), datagrams, delivered bytes and a next deadline
// come out (through IUdxStreamHost and NextDeadline). It owns no socket, thread or timer; time comes from
// the injected TimeProvider, so every rule is testable with a manual clock. Not thread-safe: the host
// (UdxStream) serialises calls.
//
//   UdxStreamEngine.cs           state, connect / change remote, timers, close and linger, statistics
//   UdxStreamEngine.Receive.cs   incoming packets: in-order delivery, out-of-order buffer, END/DESTROY,
//                                acknowledgements (cumulative + SACK), window updates
//   UdxStreamEngine.Send.cs      writes and packetisation, sending with pacing, MTU probing, ACK/SACK
//                                packets, MESSAGE, HEARTBEAT, END, DESTROY
//   UdxStreamEngine.Recovery.cs  RTT and RTO (RFC 6298), RACK and tail-loss probes (RFC 8985), RTO expiry
//   BbrCongestionControl.cs, DeliveryRate.cs   congestion control (BBR) and its bandwidth samples
//   OutgoingPacket.cs, IncomingRing.cs         packet storage, indexed by sequence number
//
// Time is kept in microseconds since the engine was created. Memory is bounded: the out-of-order buffer
// and bytes waiting for the application never exceed the receive window we advertise (plus one packet of
// slack per in-flight rounding), the send side never holds more than SendBufferSize plus the send window.
using System.Net;

namespace Cabal.Net.Udx.Engine;

/// <summary>What the engine asks of the I/O around it. Called synchronously, inside engine calls.</summary>
internal interface IUdxStreamHost
{
    /// <summary>Send one datagram (the span is only valid during the call).</summary>
    void Send(UdxRoute route, ReadOnlySpan<byte> datagram);

    /// <summary>In-order stream bytes for the application (only valid during the call).</summary>
    void Deliver(ReadOnlySpan<byte> data);

    /// <summary>An unreliable MESSAGE datagram (only valid during the call).</summary>
    void DeliverMessage(ReadOnlyMemory<byte> message);

    /// <summary>The peer's END has been reached in order: no more stream bytes will come.</summary>
    void RemoteEnded();

    /// <summary>Acknowledgements freed send-buffer space after a write was refused for lack of it.</summary>
    void WritableAgain();

    /// <summary>A ChangeRemote completed: everything sent on the old path has been acknowledged.</summary>
    void RemoteChanged();

    /// <summary>The stream closed: null when both sides ended cleanly or it was destroyed locally.</summary>
    void Closed(UdxException? error);
}

internal sealed partial class UdxStreamEngine
{
    public const long Never = long.MaxValue;
    private const int MaxRtoTimeouts = 6; // libudx UDX_MAX_RTO_TIMEOUTS
    private const long InitialRtoUs = 1_000_000;
    private const long MinRtoUs = 1_000_000;
    private const long MaxRtoUs = 30_000_000;
    private const long MaxAckDelayUs = 2_000; // libudx UDX_TLP_MAX_ACK_DELAY
    private const long MinRttFloorUs = 1_000;
    private const int MaxSendSpan = 32_768; // packets between the oldest unacknowledged and the next seq
    private const int MtuStep = 32;
    private const int MtuProbeAttempts = 3;

    private readonly IUdxStreamHost _host;
    private readonly TimeProvider _time;
    private readonly long _epoch;
    private readonly UdxOptions _options;

    private enum Phase { Open, Lingering, Closed }

    private Phase _phase = Phase.Open;
    private UdxRoute? _route;

    // Timers (absolute microseconds; Never when not armed).
    private long _rtoAt = Never, _tlpAt = Never, _rackAt = Never, _paceAt = Never, _zwpAt = Never;
    private long _keepAliveAt = Never, _idleAt = Never, _lingerAt = Never;
    private long _lastReceivedAt;

    public UdxStreamEngine(uint localId, IUdxStreamHost host, UdxOptions options)
    {
        LocalId = localId;
        _host = host;
        _options = options;
        _time = options.TimeProvider;
        _epoch = _time.GetTimestamp();
        _incoming = new IncomingRing(options.MaxOutOfOrderPackets);
        _bbr = new BbrCongestionControl(MinRttFloorUs);
        _mtu = options.Mtu;
        _mtuMax = Math.Max(options.MaxMtu, options.Mtu);
        _probeSize = options.Mtu;
        _mtuState = _mtuMax > _mtu ? MtuState.Base : MtuState.Complete;
        _tokens = 25_000; // libudx's initial pacing budget, until an RTT is known
        _pacingRate = 25_000 / 1000.0;
        _lastRefill = Now;
    }

    public uint LocalId { get; }

    public uint RemoteId { get; private set; }

    public bool IsConnected => _route is not null;

    public bool IsClosed => _phase != Phase.Open;

    /// <summary>Closed, and the linger period (re-acknowledging the peer's retransmissions) is over too.</summary>
    public bool IsReleased => _phase == Phase.Closed;

    public UdxRoute? Route => _route;

    /// <summary>Microseconds since the engine was created.</summary>
    public long Now => _time.GetElapsedTime(_epoch).Ticks / (TimeSpan.TicksPerMillisecond / 1000);

    /// <summary>The earliest armed timer (microseconds, <see cref="Never"/> if none): call OnTimer then.</summary>
    public long NextDeadline => Math.Min(Math.Min(Math.Min(_rtoAt, _tlpAt), Math.Min(_rackAt, _paceAt)),
        Math.Min(Math.Min(_zwpAt, _keepAliveAt), Math.Min(_idleAt, _lingerAt)));

    // ---- statistics ------------------------------------------------------------------------------

    public long PacketsSent { get; private set; }
    public long PacketsReceived { get; private set; }
    public long BytesSent { get; private set; }
    public long BytesReceived { get; private set; }
    public long Retransmits { get; private set; }
    public long RtoCount { get; private set; }
    public long FastRecoveries { get; private set; }
    public long TailLossProbes { get; private set; }
    public long DroppedMalformed { get; private set; }
    public long DroppedOverWindow { get; private set; }
    public long DroppedAcksForUnsent { get; private set; }
    public long DroppedInvalidSacks { get; private set; }
    public long DuplicatePackets { get; private set; }
    public int Mtu => _mtu;
    public int Cwnd => _bbr.Cwnd;
    public string CongestionMode => _bbr.State;
    public double BandwidthPacketsPerSecond => _bbr.BandwidthPacketsPerSecond;

    /// <summary>Smoothed RTT (zero until the first sample).</summary>
    public TimeSpan SmoothedRtt => TimeSpan.FromTicks(_srtt * 10);

    public TimeSpan Rto => TimeSpan.FromTicks(_rto * 10);

    // ---- connect / change remote -------------------------------------------------------------------

    /// <summary>Fixes where packets go. Acknowledgements owed for packets that arrived first are sent now.</summary>
    public void Connect(UdxRoute route, uint remoteId)
    {
        if (_phase != Phase.Open) throw new InvalidOperationException("The stream is closed.");
        if (_route is not null) throw new InvalidOperationException("The stream is already connected.");
        _route = route;
        RemoteId = remoteId;
        _lastReceivedAt = Now;
        ArmIdleAndKeepAlive();
        if (_ackPending) SendAck();
        SendPackets();
    }

    /// <summary>
    /// Moves the stream to a new path (hyperdht: a relayed stream upgrading to a direct one). New packets use
    /// it at once; packets already sent keep their path for retransmission. Returns true when the change is
    /// complete now (nothing in flight); otherwise <see cref="IUdxStreamHost.RemoteChanged"/> follows once
    /// everything sent before it has been acknowledged.
    /// </summary>
    public bool ChangeRemote(UdxRoute route, uint remoteId)
    {
        if (_phase != Phase.Open) throw new InvalidOperationException("The stream is closed.");
        if (_route is null) throw new InvalidOperationException("The stream is not connected.");
        _route = route;
        RemoteId = remoteId;
        ResetMtu();
        if (_seq == _remoteAcked)
        {
            _remoteChanging = false;
            return true;
        }
        _remoteChanging = true;
        _seqOnRemoteChange = _seq;
        return false;
    }

    // ---- timers ---------------------------------------------------------------------------------------

    /// <summary>Runs every timer that is due.</summary>
    public void OnTimer()
    {
        var now = Now;
        if (_lingerAt <= now)
        {
            _lingerAt = Never;
            Release();
            return;
        }
        if (_phase != Phase.Open) return;
        if (_idleAt <= now)
        {
            _idleAt = Never;
            if (now - _lastReceivedAt >= (long)_options.IdleTimeout!.Value.TotalMicroseconds)
            {
                Close(new UdxException(UdxError.IdleTimeout));
                return;
            }
            ArmIdleAndKeepAlive();
        }
        if (_rackAt <= now)
        {
            _rackAt = Never;
            RackDetectLoss(now);
        }
        if (_tlpAt <= now)
        {
            _tlpAt = Never;
            OnTailLossProbeTimeout(now);
        }
        if (_phase != Phase.Open) return;
        if (_rtoAt <= now)
        {
            _rtoAt = Never;
            OnRetransmissionTimeout(now);
            if (_phase != Phase.Open) return;
        }
        if (_zwpAt <= now)
        {
            _zwpAt = Never;
            OnZeroWindowProbeTimeout();
        }
        if (_keepAliveAt <= now)
        {
            _keepAliveAt = Never;
            if (_route is not null && _seq == _remoteAcked) SendHeartbeat();
            ArmIdleAndKeepAlive();
        }
        if (_paceAt <= now) _paceAt = Never;
        SendPackets();
    }

    private void ArmIdleAndKeepAlive()
    {
        if (_phase != Phase.Open || _route is null) return;
        if (_options.IdleTimeout is { } idle) _idleAt = _lastReceivedAt + (long)idle.TotalMicroseconds;
        if (_options.KeepAliveInterval is { } ka && _keepAliveAt == Never) _keepAliveAt = Now + (long)ka.TotalMicroseconds;
    }

    // ---- close ----------------------------------------------------------------------------------------

    /// <summary>Closes now: drops everything buffered and stops all timers. Idempotent.</summary>
    private void Close(UdxException? error)
    {
        if (_phase != Phase.Open) return;
        _phase = Phase.Closed;
        ReleaseBuffers();
        ClearTimers();
        _host.Closed(error);
    }

    /// <summary>
    /// Both sides ended. Close for the application, but keep answering for a while (TIME_WAIT): if our
    /// last ACK is lost the peer retransmits its END, and libudx would time out (ETIMEDOUT) without a reply.
    /// </summary>
    private void CloseCleanly()
    {
        if (_phase != Phase.Open) return;
        ReleaseBuffers();
        ClearTimers();
        if (_options.Linger > TimeSpan.Zero && _route is not null)
        {
            _phase = Phase.Lingering;
            _lingerAt = Now + (long)_options.Linger.TotalMicroseconds;
        }
        else
        {
            _phase = Phase.Closed;
        }
        _host.Closed(null);
    }

    /// <summary>Ends the linger period early (the socket or the UDX instance is going away).</summary>
    public void Release()
    {
        if (_phase == Phase.Open) Close(new UdxException(UdxError.SocketClosed));
        _phase = Phase.Closed;
        _lingerAt = Never;
    }

    private void ClearTimers()
    {
        _rtoAt = _tlpAt = _rackAt = _paceAt = _zwpAt = _keepAliveAt = _idleAt = _lingerAt = Never;
    }

    private void ReleaseBuffers()
    {
        _outgoing.Clear(_packets.Return);
        while (_unsent.RemoveFirst() is { } p) _packets.Return(p);
        _inFlight = default;
        _lost = default;
        _incoming.Clear();
        _bufferedBytes = 0;
    }

    /// <summary>The socket this stream sends from was closed.</summary>
    public void OnSocketClosed() => Close(new UdxException(UdxError.SocketClosed));

    public override string ToString() => $"udx stream {LocalId}→{RemoteId} at {_route?.Remote?.ToString() ?? "(unconnected)"}";

    internal IPEndPoint? RemoteEndPoint => _route?.Remote;
}
