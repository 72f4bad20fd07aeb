// Sending (libudx send_packets / send_new_packet / send_ack, spec/hyperswarm.md §6.4–6.7, §6.10–6.12).
// Writes are cut into packets at once (filling the last unsent packet first); packets get a sequence
// number when they first leave. A packet may leave when the pacing budget allows and fewer packets are
// in flight than min(cwnd, peer window in packets); retransmissions ignore the peer's window.
using System.Buffers;

namespace Cabal.Net.Udx.Engine;

internal sealed partial class UdxStreamEngine
{
    private uint _seq;                      // next sequence number to assign
    private uint _remoteAcked;              // oldest sequence number not cumulatively acknowledged
    private uint _sendWl1, _sendWl2;        // seq/ack of the packet that last updated the peer's window
    private uint _sendWindow = 4 * 1024 * 1024; // the peer's advertised receive window (libudx's initial value)
    private readonly OutgoingRing _outgoing = new();
    private readonly OutgoingPacketPool _packets = new();
    private PacketList _unsent, _inFlight, _lost;
    private long _bufferedBytes;            // payload bytes written and not yet acknowledged
    private bool _writerBlocked;
    private bool _endQueued, _endSent, _localEnded;
    private uint _endSeq;
    private bool _remoteChanging;
    private uint _seqOnRemoteChange;

    private readonly DeliveryRateEstimator _rate = new();
    private readonly BbrCongestionControl _bbr;
    private double _tokens;                 // pacing budget, bytes
    private double _pacingRate;             // bytes per microsecond
    private long _lastRefill;
    private CongestionState _congestion = CongestionState.Open;
    private uint _highSeq;
    private long _lostCount;
    private int _sacked;                    // packets SACKed above the cumulative ack

    private enum MtuState { Base, Search, Complete }
    private MtuState _mtuState;
    private int _mtu, _mtuMax, _probeSize, _probeCount;
    private bool _probeWanted;

    /// <summary>Largest payload of a new packet: the MTU minus IPv4, UDP and UDX headers (1152 at 1200).</summary>
    public int MaxPayload => _mtu - UdxPacket.Ipv4Overhead;

    /// <summary>Payload bytes written and not yet acknowledged.</summary>
    public long BufferedBytes => _bufferedBytes;

    /// <summary>Packets in flight (sent, neither acknowledged nor marked lost).</summary>
    public int InFlightPackets => _inFlight.Count;

    /// <summary>Our END has been acknowledged.</summary>
    public bool LocalEnded => _localEnded;

    /// <summary>The peer's receive window, bytes.</summary>
    public uint PeerWindow => _sendWindow;

    // ---- writes ---------------------------------------------------------------------------------------

    /// <summary>
    /// Bytes written and unacknowledged at which writes stop: SendBufferSize plus the send window (libudx's
    /// rule), the window counted at most 16 MiB so a peer advertising a huge window and acknowledging fast
    /// cannot make us buffer without bound.
    /// </summary>
    private long SendLimit => _options.SendBufferSize + Math.Min(Math.Min((long)_bbr.Cwnd * MaxPayload, _sendWindow), MaxSendWindowBytes);

    private const long MaxSendWindowBytes = 16L << 20;

    /// <summary>
    /// Queues stream bytes. Accepts at most what fits under <see cref="SendLimit"/> and returns how much; when
    /// that is less than offered, <see cref="IUdxStreamHost.WritableAgain"/> follows. Nothing leaves until
    /// <see cref="Flush"/> (or a timer) runs.
    /// </summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        if (_phase != Phase.Open) throw new InvalidOperationException("The stream is closed.");
        if (_endQueued) throw new InvalidOperationException("The stream was ended.");
        var room = SendLimit - _bufferedBytes;
        var n = (int)Math.Clamp(room, 0, data.Length);
        if (n < data.Length) _writerBlocked = true;
        var rest = data[..n];
        if (_unsent.Tail is { Type: UdxPacketType.Data } tail && !tail.IsFull) rest = Fill(tail, rest);
        while (!rest.IsEmpty)
        {
            var p = _packets.Rent(MaxPayload);
            p.Type = UdxPacketType.Data;
            rest = Fill(p, rest);
            _unsent.AddLast(p);
        }
        _bufferedBytes += n;
        return n;
    }

    private static ReadOnlySpan<byte> Fill(OutgoingPacket p, ReadOnlySpan<byte> data)
    {
        var take = Math.Min(p.Capacity - p.Length, data.Length);
        data[..take].CopyTo(p.Buffer.AsSpan(OutgoingPacket.PayloadOffset + p.Length));
        p.Length += take;
        return data[take..];
    }

    /// <summary>Queues END after everything written (a packet of its own, consuming one seq).</summary>
    public void End()
    {
        if (_phase != Phase.Open || _endQueued) return;
        _endQueued = true;
        var p = _packets.Rent(0);
        p.Type = UdxPacketType.End;
        _unsent.AddLast(p);
    }

    /// <summary>
    /// Aborts the stream: one DESTROY packet if connected (sent once, never retransmitted), then closed
    /// with no error. A stream that already closed cleanly keeps its TIME_WAIT (see <see cref="Release"/>).
    /// </summary>
    public void Destroy()
    {
        if (_phase != Phase.Open) return;
        if (_route is not null)
        {
            SendControl(UdxPacketType.Destroy);
            _seq++; // DESTROY consumes a sequence number (locally; libudx does the same)
        }
        Close(null);
    }

    /// <summary>An unreliable MESSAGE datagram with the current seq/ack. False when not connected or closed.</summary>
    public bool SendMessage(ReadOnlySpan<byte> message)
    {
        if (_phase != Phase.Open || _route is null) return false;
        var length = UdxPacket.HeaderSize + message.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            UdxPacket.WriteHeader(buffer, new UdxHeader(UdxPacketType.Message, 0, RemoteId, ReceiveWindow, _seq, _ack));
            message.CopyTo(buffer.AsSpan(UdxPacket.HeaderSize));
            SendRaw(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return true;
    }

    /// <summary>Sends what the windows and pacing allow, and an ACK if one is owed. The host calls it after each batch of work.</summary>
    public void Flush()
    {
        if (_phase != Phase.Open) return;
        SendPackets();
        if (_ackPending && _route is not null) SendAck();
    }

    // ---- the send loop --------------------------------------------------------------------------------

    private void SendPackets()
    {
        if (_phase != Phase.Open || _route is null) return;
        var now = Now;
        Refill(now);
        while (_lost.Head is { } lost && MaySend(retransmission: true)) Retransmit(lost, now);
        while (_unsent.Head is { } next && MaySend(retransmission: false) && Seq.Diff(_seq, _remoteAcked) < MaxSendSpan) SendNew(next, now, probe: false);

        if ((_lost.Count > 0 || _unsent.Count > 0) && _tokens <= 0)
            _paceAt = now + Math.Max(1, (long)Math.Ceiling((1 - _tokens) / _pacingRate));
        if (_unsent.Count == 0 && _lost.Count == 0 && _inFlight.Count < _bbr.Cwnd) _rate.MarkAppLimited(_inFlight.Count);
        if (_sendWindow == 0 && _unsent.Count > 0 && _inFlight.Count == 0 && _lost.Count == 0 && _zwpAt == Never) StartZeroWindowProbe();
    }

    private bool MaySend(bool retransmission)
    {
        if (_tokens <= 0) return false;
        var window = retransmission ? _bbr.Cwnd : Math.Min(_bbr.Cwnd, PeerWindowPackets);
        return _inFlight.Count < window;
    }

    /// <summary>The peer's window in packets: at least one while it is non-zero (libudx send_rwnd_in_packets).</summary>
    private int PeerWindowPackets => _sendWindow == 0 ? 0 : (int)Math.Clamp(_sendWindow / (uint)MaxPayload, 1, int.MaxValue);

    private void Refill(long now)
    {
        var elapsed = now - _lastRefill;
        if (elapsed <= 0) return;
        _lastRefill = now;
        // At most ~2 ms of budget: timers fire at millisecond granularity, so a smaller bucket would idle.
        var cap = Math.Max(_pacingRate * 2_000, 4.0 * (MaxPayload + UdxPacket.HeaderSize));
        _tokens = Math.Min(cap, _tokens + _pacingRate * elapsed);
    }

    private void UpdatePacingRate()
    {
        if (_bbr.PacingRate > 0) _pacingRate = _bbr.PacingRate;
    }

    private void SendNew(OutgoingPacket p, long now, bool probe)
    {
        _unsent.Remove(p);
        p.Seq = _seq++;
        p.Route = _route;
        if (p.Type.HasFlag(UdxPacketType.End))
        {
            _endSent = true;
            _endSeq = p.Seq;
        }
        _outgoing.Add(p, _remoteAcked);
        if (_probeWanted && !probe && !_remoteChanging && TryMakeMtuProbe(p))
        {
            _probeCount++;
            _probeWanted = false;
        }
        WriteHeader(p);
        var wasIdle = _inFlight.Count == 0;
        Transmit(p, now, retransmission: false);
        if (wasIdle) _bbr.OnTransmitStart(_rate.AppLimited, now, _inFlight.Count, MaxPayload);
        if (probe)
        {
            _tlpIsRetransmission = false;
            _tlpInFlight = true;
            _tlpEndSeq = p.Seq;
            _tlpPermitted = false;
        }
        ArmTimersAfterSend(now, armProbe: !probe);
    }

    private void Retransmit(OutgoingPacket p, long now)
    {
        var wasIdle = _inFlight.Count == 0;
        UdxPacket.RefreshHeader(p.Header, ReceiveWindow, _ack);
        Transmit(p, now, retransmission: true);
        Retransmits++;
        if (wasIdle) _bbr.OnTransmitStart(_rate.AppLimited, now, _inFlight.Count, MaxPayload);
        ArmTimersAfterSend(now, armProbe: false);
    }

    private void Transmit(OutgoingPacket p, long now, bool retransmission)
    {
        p.Transmits++;
        if (retransmission) p.Retransmitted = true;
        if (p.State == PacketState.Lost) _lost.Remove(p);
        else if (p.State == PacketState.InFlight) _inFlight.Remove(p);
        _rate.OnSend(p, _inFlight.Count == 0, now);
        p.SentAt = now;
        p.State = PacketState.InFlight;
        _inFlight.AddLast(p);
        _tokens -= p.DatagramLength;
        _lastAdvertisedWindow = ReadWindowField(p.Header);
        // The header carries our cumulative ack: with nothing held out of order (no SACK to tell) it
        // replaces a separate ACK packet.
        if (_incoming.Count == 0)
        {
            _ackPending = false;
            _dataSinceAck = 0;
        }
        SendRaw(p.Route!, p.Datagram);
    }

    private static uint ReadWindowField(ReadOnlySpan<byte> header) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);

    private void WriteHeader(OutgoingPacket p)
    {
        if (p.Padding > 0) p.Buffer.AsSpan(OutgoingPacket.PayloadOffset - p.Padding, p.Padding).Clear();
        UdxPacket.WriteHeader(p.Header, new UdxHeader(p.Type, p.Padding, RemoteId, ReceiveWindow, p.Seq, _ack));
    }

    private void ArmTimersAfterSend(long now, bool armProbe)
    {
        if (_rtoAt == Never) _rtoAt = now + _rto;
        if (armProbe && _congestion == CongestionState.Open && _sacked == 0) ScheduleTailLossProbe(now, advancingRto: false);
    }

    // ---- control packets ------------------------------------------------------------------------------

    /// <summary>An ACK with our cumulative ack, the window, and SACK blocks for what we hold out of order.</summary>
    private void SendAck()
    {
        if (_route is null)
        {
            _ackPending = true; // deferred until connected (libudx ack_needed)
            return;
        }
        Span<byte> buffer = stackalloc byte[UdxPacket.HeaderSize + UdxPacket.MaxSackBlocks * UdxPacket.SackBlockSize];
        var blocks = 0;
        if (_incoming.Count > 0)
        {
            var body = buffer[UdxPacket.HeaderSize..];
            var found = 0;
            var inBlock = false;
            uint start = 0;
            for (var s = _ack + 1; found < _incoming.Count && blocks < UdxPacket.MaxSackBlocks && Seq.Le(s, _incoming.Highest + 1); s++)
            {
                var held = _incoming.Contains(s);
                if (held)
                {
                    found++;
                    if (!inBlock)
                    {
                        inBlock = true;
                        start = s;
                    }
                }
                if ((!held || found == _incoming.Count) && inBlock)
                {
                    inBlock = false;
                    UdxPacket.WriteSackBlock(body, blocks++, start, held ? s + 1 : s);
                }
            }
        }
        var window = ReceiveWindow;
        UdxPacket.WriteHeader(buffer, new UdxHeader(blocks > 0 ? UdxPacketType.Sack : UdxPacketType.Ack, 0, RemoteId, window, _seq, _ack));
        _ackPending = false;
        _dataSinceAck = 0;
        _lastAdvertisedWindow = window;
        SendRaw(buffer[..(UdxPacket.HeaderSize + blocks * UdxPacket.SackBlockSize)]);
    }

    /// <summary>A header-only packet of <paramref name="type"/> (HEARTBEAT, DESTROY) with the current seq/ack.</summary>
    private void SendControl(UdxPacketType type)
    {
        if (_route is null) return;
        Span<byte> buffer = stackalloc byte[UdxPacket.HeaderSize];
        UdxPacket.WriteHeader(buffer, new UdxHeader(type, 0, RemoteId, ReceiveWindow, _seq, _ack));
        SendRaw(buffer);
    }

    private void SendHeartbeat() => SendControl(UdxPacketType.Heartbeat);

    /// <summary>The peer's window is zero and we have data: probe now, again after an RTO, then every 2·RTO (§6.6).</summary>
    private void StartZeroWindowProbe()
    {
        SendHeartbeat();
        _zwpAt = Now + _rto;
    }

    private void OnZeroWindowProbeTimeout()
    {
        if (_sendWindow != 0 || _unsent.Count == 0) return;
        SendHeartbeat();
        _zwpAt = Now + 2 * _rto;
    }

    private void SendRaw(ReadOnlySpan<byte> datagram) => SendRaw(_route!, datagram);

    private void SendRaw(UdxRoute route, ReadOnlySpan<byte> datagram)
    {
        PacketsSent++;
        BytesSent += datagram.Length;
        _host.Send(route, datagram);
    }

    // ---- MTU probing (§6.7) ---------------------------------------------------------------------------

    /// <summary>Pads a full DATA packet with zeros up to the probe size. libudx's rule: 0–255 bytes of padding.</summary>
    private bool TryMakeMtuProbe(OutgoingPacket p)
    {
        if (!p.Type.HasFlag(UdxPacketType.Data) || p.Padding != 0 || p.Length == 0) return false;
        var padding = _probeSize - (UdxPacket.Ipv4Overhead + p.Length);
        if (padding is < 0 or > OutgoingPacket.MaxPadding) return false;
        p.Padding = (byte)padding;
        p.IsMtuProbe = true;
        return true;
    }

    private void OnMtuPacketAcked(OutgoingPacket p)
    {
        if (_mtuState == MtuState.Search && _probeCount > 0 && p.IsMtuProbe)
        {
            _probeCount = 0;
            _mtu = _probeSize;
            if (_probeSize >= _mtuMax) _mtuState = MtuState.Complete;
            else
            {
                _probeSize = Math.Min(_probeSize + MtuStep, _mtuMax);
                _probeWanted = true;
            }
        }
        if (_mtuState == MtuState.Base)
        {
            // The first acknowledgement confirms the base size; probing starts.
            _mtuState = MtuState.Search;
            _probeWanted = true;
        }
    }

    /// <summary>A probe was lost: resend it unpadded; after three failures the search stops.</summary>
    private void OnMtuProbeLost(OutgoingPacket p)
    {
        p.Padding = 0;
        p.IsMtuProbe = false;
        WriteHeader(p);
        if (_mtuState != MtuState.Search) return;
        if (_probeCount >= MtuProbeAttempts) _mtuState = MtuState.Complete;
        else _probeWanted = true;
    }

    private void ResetMtu()
    {
        _mtu = _options.Mtu;
        _probeSize = _options.Mtu;
        _probeCount = 0;
        _probeWanted = false;
        _mtuState = _mtuMax > _mtu ? MtuState.Base : MtuState.Complete;
        // Unsent packets cut for a larger MTU would not fit the new path: cut them again.
        if (_unsent.Count == 0) return;
        var old = _unsent;
        _unsent = default;
        while (old.RemoveFirst() is { } p)
        {
            if (p.Capacity <= MaxPayload)
            {
                _unsent.AddLast(p);
                continue;
            }
            ReadOnlySpan<byte> rest = p.Buffer.AsSpan(OutgoingPacket.PayloadOffset, p.Length);
            while (!rest.IsEmpty)
            {
                var q = _packets.Rent(MaxPayload);
                q.Type = UdxPacketType.Data;
                rest = Fill(q, rest);
                _unsent.AddLast(q);
            }
            _packets.Return(p);
        }
    }
}
