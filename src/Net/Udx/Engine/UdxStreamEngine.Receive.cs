// Incoming packets (libudx process_packet, spec/hyperswarm.md §6.4–6.6, §6.12). Everything a peer can put
// in a datagram is handled by dropping and counting, never by throwing.
namespace Cabal.Net.Udx.Engine;

internal sealed partial class UdxStreamEngine
{
    private const int WindowSlack = 64 * 1024;
    private const int AckEveryPackets = 16;

    private uint _ack;                      // next seq expected from the peer (rcv.nxt)
    private readonly IncomingRing _incoming;
    private bool _remoteEnding;
    private uint _remoteEndSeq;
    private bool _remoteEnded;
    private bool _ackPending;
    private int _dataSinceAck;
    private long _appBuffered;              // delivered to the application, not yet consumed (Interlocked)
    private bool _discardIncoming;
    private uint _lastAdvertisedWindow = uint.MaxValue;

    /// <summary>True once the peer's END was delivered in order.</summary>
    public bool RemoteEndedDelivered => _remoteEnded;

    /// <summary>Cumulative ack we send (the next seq expected from the peer).</summary>
    public uint ReceiveNext => _ack;

    /// <summary>Packets held out of order.</summary>
    public int OutOfOrderPackets => _incoming.Count;

    /// <summary>Bytes delivered to the application and not yet consumed.</summary>
    public long ApplicationBuffered => Interlocked.Read(ref _appBuffered);

    /// <summary>Receive window we would advertise now, in bytes.</summary>
    public uint ReceiveWindow
    {
        get
        {
            var free = (long)_options.ReceiveWindow - Interlocked.Read(ref _appBuffered) - _incoming.Bytes;
            return (uint)Math.Clamp(free, 0, uint.MaxValue);
        }
    }

    /// <summary>Processes one datagram addressed to this stream (the demux already matched its id).</summary>
    public void OnPacket(ReadOnlyMemory<byte> datagram)
    {
        if (!UdxPacket.TryParse(datagram.Span, out var packet))
        {
            DroppedMalformed++;
            return;
        }
        var h = packet.Header;
        PacketsReceived++;
        BytesReceived += datagram.Length;

        if (_phase == Phase.Lingering)
        {
            // TIME_WAIT: a retransmitted END (or data) means our last ACK was lost; answer it again.
            if (h.Has(UdxPacketType.Data | UdxPacketType.End | UdxPacketType.Heartbeat)) SendAck();
            return;
        }
        if (_phase != Phase.Open) return;

        _lastReceivedAt = Now;
        if (h.Has(UdxPacketType.Heartbeat))
        {
            // A probe: answer at once, ignore the rest (including its ack field), as libudx does.
            SendAckNowOrLater();
            return;
        }
        if (!packet.OffsetIsValid)
        {
            DroppedMalformed++;
            return;
        }

        var payload = packet.Payload;
        var carriesData = h.Has(UdxPacketType.Data | UdxPacketType.End);
        if (Seq.Ge(h.Seq, _ack))
        {
            if (carriesData && !_remoteEnded) ReceiveData(h.Type, h.Seq, payload);
            if (h.Has(UdxPacketType.Destroy))
            {
                Close(new UdxException(UdxError.ConnectionReset));
                return;
            }
        }
        else if (carriesData)
        {
            DuplicatePackets++; // already delivered: acknowledged again below
        }

        if (h.Has(UdxPacketType.Message))
        {
            var offset = UdxPacket.HeaderSize + h.DataOffset;
            _host.DeliverMessage(datagram[offset..]);
            if (_phase != Phase.Open) return;
        }

        if (carriesData)
        {
            _ackPending = true;
            if (++_dataSinceAck >= AckEveryPackets) SendAck();
        }

        ProcessAck(packet);
        if (_phase != Phase.Open) return;
        CheckRemoteEnd();
    }

    /// <summary>A DATA/END packet at or above the cumulative ack.</summary>
    private void ReceiveData(UdxPacketType type, uint seq, ReadOnlySpan<byte> payload)
    {
        if (_remoteEnding && Seq.Gt(seq, _remoteEndSeq))
        {
            DroppedMalformed++; // nothing follows an END
            return;
        }
        if (seq == _ack)
        {
            if (!CanBuffer(payload.Length))
            {
                DroppedOverWindow++;
                return;
            }
            _ack++;
            if (type.HasFlag(UdxPacketType.End)) MarkRemoteEnd(seq);
            if (payload.Length > 0 && type.HasFlag(UdxPacketType.Data)) DeliverToApplication(payload);
            DrainInOrder();
            return;
        }
        if (_incoming.Contains(seq))
        {
            DuplicatePackets++;
            return;
        }
        if (seq - _ack >= (uint)_incoming.MaxSpan || !CanBuffer(payload.Length))
        {
            // Too far ahead or over the window: not held, not SACKed; the sender will send it again.
            DroppedOverWindow++;
            return;
        }
        _incoming.Add(seq, _ack, type, type.HasFlag(UdxPacketType.Data) ? payload : default);
        if (type.HasFlag(UdxPacketType.End)) MarkRemoteEnd(seq);
    }

    private void MarkRemoteEnd(uint seq)
    {
        if (_remoteEnding) return;
        _remoteEnding = true;
        _remoteEndSeq = seq;
    }

    /// <summary>Delivers held packets that the cumulative ack has reached.</summary>
    private void DrainInOrder()
    {
        while (_incoming.Count > 0 && !(_remoteEnding && Seq.Gt(_ack, _remoteEndSeq)) && _incoming.TryTake(_ack, out var type, out var buffer, out var length))
        {
            _ack++;
            if (length > 0 && type.HasFlag(UdxPacketType.Data)) DeliverToApplication(buffer.AsSpan(0, length));
            IncomingRing.ReturnBuffer(buffer);
        }
    }

    private bool CanBuffer(int length)
        => Interlocked.Read(ref _appBuffered) + _incoming.Bytes + length <= (long)_options.ReceiveWindow + WindowSlack;

    private void DeliverToApplication(ReadOnlySpan<byte> data)
    {
        if (_discardIncoming) return;
        Interlocked.Add(ref _appBuffered, data.Length);
        _host.Deliver(data);
    }

    /// <summary>Once the peer's END has been reached in order: acknowledge it, tell the application, maybe close.</summary>
    private void CheckRemoteEnd()
    {
        if (!_remoteEnding || _remoteEnded || Seq.Le(_ack, _remoteEndSeq)) return;
        _remoteEnded = true;
        SendAck(); // the ACK of the END goes out before we might close
        _incoming.Clear();
        _host.RemoteEnded();
        if (_phase == Phase.Open && _localEnded) CloseCleanly();
    }

    /// <summary>The application consumed <paramref name="bytes"/> delivered bytes. True when a window update may be due.</summary>
    public bool OnApplicationConsumed(long bytes)
    {
        var left = Interlocked.Add(ref _appBuffered, -bytes);
        return Volatile.Read(ref _lastAdvertisedWindow) < _options.ReceiveWindow / 2 && left < _options.ReceiveWindow / 2;
    }

    /// <summary>
    /// The application stopped reading: drop further stream bytes instead of buffering them (the window stays
    /// open so the peer can finish; its END is still honoured).
    /// </summary>
    public void DiscardIncoming()
    {
        _discardIncoming = true;
        Interlocked.Exchange(ref _appBuffered, 0);
        SendWindowUpdate();
    }

    /// <summary>Advertises a reopened receive window if the last advertisement was small.</summary>
    public void SendWindowUpdate()
    {
        if (_phase != Phase.Open || _route is null) return;
        if (_lastAdvertisedWindow < _options.ReceiveWindow / 2 && ReceiveWindow >= _options.ReceiveWindow / 2) SendAck();
    }

    private void SendAckNowOrLater()
    {
        if (_route is null) _ackPending = true;
        else SendAck();
    }

    // ---- acknowledgements of our packets ----------------------------------------------------------

    private void ProcessAck(in UdxDatagram packet)
    {
        var h = packet.Header;
        var ack = h.Ack;
        if (Seq.Lt(_seq, ack))
        {
            // Acknowledges data we never sent: forged or confused; ignore the ack field entirely.
            DroppedAcksForUnsent++;
            return;
        }

        if (Seq.Ge(ack, _remoteAcked) && (Seq.Lt(_sendWl1, h.Seq) || (_sendWl1 == h.Seq && Seq.Le(_sendWl2, ack))))
        {
            _sendWindow = h.ReceiveWindow;
            _sendWl1 = h.Seq;
            _sendWl2 = ack;
            if (_sendWindow > 0) _zwpAt = Never;
        }

        if (_remoteChanging && Seq.Ge(ack, _seqOnRemoteChange))
        {
            _remoteChanging = false;
            _host.RemoteChanged();
            if (_phase != Phase.Open) return;
        }

        if (_tlpInFlight && Seq.Ge(ack, _tlpEndSeq) && (!_tlpIsRetransmission || Seq.Gt(ack, _tlpEndSeq))) _tlpInFlight = false;

        if (Seq.Gt(ack, _highSeq) && _congestion != CongestionState.Open) _congestion = CongestionState.Open;

        var now = Now;
        var priorAcked = _remoteAcked;
        var ackAdvanced = Seq.Gt(ack, priorAcked);
        var dataInFlight = _remoteAcked != _seq;
        var rs = RateSample.Empty;
        var deliveredBefore = _rate.Delivered;

        for (var p = priorAcked; Seq.Lt(p, ack); p++)
            if (!AckPacket(p, sack: false, now, ref rs)) _sacked = Math.Max(0, _sacked - 1);
        if (ackAdvanced) _remoteAcked = ack;

        var blocks = Math.Min(packet.SackBlockCount, UdxPacket.MaxSackBlocks);
        if (packet.SackBlockCount > blocks) DroppedInvalidSacks += packet.SackBlockCount - blocks;
        for (var i = 0; i < blocks; i++)
        {
            var (start, end) = packet.SackBlock(i);
            if (!SackIsValid(start, end))
            {
                DroppedInvalidSacks++;
                continue;
            }
            for (var p = start; p != end; p++)
                if (AckPacket(p, sack: true, now, ref rs)) _sacked++;
        }

        var delivered = _rate.Delivered - deliveredBefore;
        rs.Acked = (int)delivered;
        var armProbe = ackAdvanced && dataInFlight;
        if (delivered > 0)
        {
            if (_remoteAcked == _seq)
            {
                armProbe = false;
                _rtoAt = _tlpAt = _rackAt = Never;
                if (_sendWindow == 0 && _unsent.Count > 0) StartZeroWindowProbe();
            }
            else
            {
                _rtoAt = now + _rto;
            }
            var lostBefore = _lostCount;
            if (RackDetectLoss(now)) armProbe = false;
            rs.Lost = (int)(_lostCount - lostBefore);
        }
        if (armProbe && !ScheduleTailLossProbe(now, advancingRto: true)) _rtoAt = now + _rto;

        if (dataInFlight)
        {
            _rate.Generate(ref rs, _minRtt);
            _bbr.OnAck(rs, _rate.Delivered, _rate.DeliveredTime, _inFlight.Count, _congestion, now, MaxPayload, _srtt);
            UpdatePacingRate();
        }

        if (_endSent && Seq.Gt(_remoteAcked, _endSeq)) _localEnded = true;
        if (_localEnded && _remoteEnded)
        {
            CloseCleanly();
            return;
        }
        if (_writerBlocked && _bufferedBytes < SendLimit)
        {
            _writerBlocked = false;
            _host.WritableAgain();
        }
    }

    /// <summary>libudx udx_sack_is_valid: remote_acked ≤ start &lt; end ≤ seq.</summary>
    private bool SackIsValid(uint start, uint end)
        => !Seq.Gt(end, _seq) && Seq.Lt(start, end) && Seq.Lt(start, _seq) && Seq.Ge(start, _remoteAcked);

    /// <summary>Marks one of our packets delivered. False if it was not outstanding (already SACKed).</summary>
    private bool AckPacket(uint seq, bool sack, long now, ref RateSample rs)
    {
        var p = _outgoing.Remove(seq);
        if (p is null) return false;
        if (p.State == PacketState.InFlight) _inFlight.Remove(p);
        else if (p.State == PacketState.Lost) _lost.Remove(p);
        p.State = PacketState.Sacked;

        OnMtuPacketAcked(p);
        _rate.OnDelivered(p, now, ref rs);
        OnRttSample(p, seq, now, ref rs);

        _bufferedBytes -= p.Length;
        _packets.Return(p);
        return true;
    }
}
