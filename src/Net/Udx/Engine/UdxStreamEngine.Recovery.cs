// Loss recovery (spec/hyperswarm.md §6.8–6.9):
//   * RTT and RTO per RFC 6298 (srtt/rttvar, RTO = srtt + 4·rttvar, at least 1 s, at most 30 s), samples
//     only from packets sent once;
//   * RACK (RFC 8985 §6): a packet sent before the most recently delivered one is lost once it is older
//     than that packet's RTT plus a reordering window; a timer covers packets not yet old enough;
//   * TLP (RFC 8985 §7): when acknowledgements stop, probe after 2·srtt with new data or the last packet,
//     so a lost tail is repaired by RACK instead of waiting for the RTO;
//   * RTO expiry: the oldest packet and any past its RACK deadline are resent, the timer re-armed at 2·RTO,
//     and a packet that goes through 6 timeouts ends the stream with TimedOut — the same schedule as libudx
//     (about 13 s after a peer dies at RTO 1 s), so both stacks agree on when a connection is dead.
namespace Cabal.Net.Udx.Engine;

internal sealed partial class UdxStreamEngine
{
    private const long MinRttWindowUs = 300_000_000; // libudx UDX_RTT_MIN_WINDOW_MS
    private const long MinProbeTimeoutUs = 2_000;
    private const int EndOnlyTimeouts = 2;

    private bool _hasRtt;
    private long _srtt, _rttVar;
    private long _rto = InitialRtoUs;
    private WindowedFilter _minRttFilter = new(max: false);
    private long _minRtt;

    private long _rackTimeSent = -1, _rackRtt;
    private uint _rackEndSeq, _rackFack;
    private bool _reorderingSeen;

    private bool _tlpInFlight, _tlpIsRetransmission, _tlpPermitted;
    private uint _tlpEndSeq;

    private void OnRttSample(OutgoingPacket p, uint seq, long now, ref RateSample rs)
    {
        var rtt = Math.Max(0, now - p.SentAt);
        if (!p.Retransmitted)
        {
            _minRttFilter.Update(now, rtt, MinRttWindowUs);
            _minRtt = (long)_minRttFilter.Value;
            if (!_hasRtt)
            {
                _hasRtt = true;
                _srtt = rtt;
                _rttVar = rtt / 2;
            }
            else
            {
                _rttVar = (3 * _rttVar + Math.Abs(_srtt - rtt)) / 4;
                _srtt = (7 * _srtt + rtt) / 8;
            }
            _rto = Math.Clamp(_srtt + 4 * _rttVar, MinRtoUs, MaxRtoUs);
            _tlpPermitted = true;
        }

        var next = seq + 1;
        if (!p.Retransmitted || rtt >= _minRtt)
        {
            _rackRtt = rtt;
            rs.Rtt = rtt;
            if (_rackTimeSent < 0 || SentAfter(p.SentAt, next, _rackTimeSent, _rackEndSeq))
            {
                _rackTimeSent = p.SentAt;
                _rackEndSeq = next;
            }
        }
        // A never-retransmitted packet delivered below the highest delivered one: the path reorders.
        if (Seq.Gt(next, _rackFack)) _rackFack = next;
        else if (Seq.Lt(next, _rackFack) && !p.Retransmitted) _reorderingSeen = true;
    }

    private static bool SentAfter(long t1, uint seq1, long t2, uint seq2) => t1 > t2 || (t1 == t2 && Seq.Gt(seq1, seq2));

    /// <summary>RACK reordering window: none until reordering is seen (in recovery or with 3+ SACKed), else min_rtt/4.</summary>
    private long ReorderWindow()
    {
        if (!_reorderingSeen && (_congestion != CongestionState.Open || _sacked >= 3)) return 0;
        return Math.Min(_minRtt / 4, _srtt);
    }

    /// <summary>Marks lost every in-flight packet RACK says is lost; arms the reorder timer for the rest. True if armed.</summary>
    private bool RackDetectLoss(long now)
    {
        if (_rackTimeSent < 0) return false;
        var reorder = ReorderWindow();
        long wait = 0;
        int lost = 0, probesLost = 0;
        for (var p = _inFlight.Head; p is not null;)
        {
            var next = p.Next;
            if (p.SentAt > _rackTimeSent) break; // the list is in send order: the rest were sent later
            if (SentAfter(_rackTimeSent, _rackEndSeq, p.SentAt, p.Seq + 1))
            {
                var remaining = p.SentAt + _rackRtt + reorder - now;
                if (remaining <= 0)
                {
                    if (p.IsMtuProbe) probesLost++;
                    MarkLost(p);
                    lost++;
                }
                else if (remaining > wait) wait = remaining;
            }
            p = next;
        }
        if (lost > probesLost && _congestion == CongestionState.Open) EnterRecovery();
        if (wait <= 0) return false;
        _rackAt = now + wait;
        return true;
    }

    private void MarkLost(OutgoingPacket p)
    {
        _inFlight.Remove(p);
        p.State = PacketState.Lost;
        _lost.AddLast(p);
        _lostCount++;
        if (p.IsMtuProbe) OnMtuProbeLost(p);
    }

    private void EnterRecovery()
    {
        FastRecoveries++;
        _bbr.SaveCwnd();
        _congestion = CongestionState.Recovery;
        _highSeq = _seq;
        _tlpInFlight = false;
        _tlpIsRetransmission = false;
    }

    /// <summary>Arms the probe timeout (PTO = 2·srtt, at least 2 ms, never past the RTO). False if no probe applies.</summary>
    private bool ScheduleTailLossProbe(long now, bool advancingRto)
    {
        if (_seq == _remoteAcked || _congestion != CongestionState.Open || _sacked > 0) return false;
        var pto = InitialRtoUs;
        if (_hasRtt)
        {
            pto = 2 * _srtt;
            if (_inFlight.Count + _lost.Count == 1) pto += MaxAckDelayUs;
            pto = Math.Max(pto, MinProbeTimeoutUs);
        }
        var untilRto = advancingRto || _rtoAt == Never ? _rto : Math.Max(1, _rtoAt - now);
        _tlpAt = now + Math.Min(pto, untilRto);
        return true;
    }

    private void OnTailLossProbeTimeout(long now)
    {
        if (_remoteAcked == _seq || _route is null) return;
        if (_tlpInFlight || !_tlpPermitted) return; // one probe per flight; the RTO is still armed
        if (_unsent.Head is { } fresh && Seq.Diff(_seq, _remoteAcked) < MaxSendSpan)
        {
            SendNew(fresh, now, probe: true);
        }
        else
        {
            var last = _outgoing.Get(_seq - 1);
            if (last is null || last.State != PacketState.InFlight) return;
            Retransmit(last, now);
            _tlpIsRetransmission = true;
            _tlpInFlight = true;
            _tlpEndSeq = last.Seq;
            _tlpPermitted = false;
        }
        TailLossProbes++;
        _rtoAt = now + _rto;
    }

    private void OnRetransmissionTimeout(long now)
    {
        if (_remoteAcked == _seq) return;
        _highSeq = _seq;
        RtoCount++;
        if (_congestion == CongestionState.Open) _bbr.SaveCwnd();
        _congestion = CongestionState.Loss;
        _tlpInFlight = false;
        _tlpIsRetransmission = false;
        _rtoAt = now + 2 * _rto;

        var reorder = ReorderWindow();
        for (var seq = _remoteAcked; seq != _seq; seq++)
        {
            var p = _outgoing.Get(seq);
            if (p is null || p.State == PacketState.Lost) continue;
            var remaining = p.SentAt + _rackRtt + reorder - now;
            if (seq != _remoteAcked && remaining >= 0) continue;
            if (p.RtoTimeouts >= MaxRtoTimeouts)
            {
                Close(new UdxException(UdxError.TimedOut));
                return;
            }
            if (p.Type == UdxPacketType.End && _remoteEnded && p.RtoTimeouts >= EndOnlyTimeouts && seq == _remoteAcked && _seq == seq + 1)
            {
                // Everything we sent is acknowledged and the peer has ended too; only the ACK of our END
                // is missing. libudx closes as soon as it has both ENDs and keeps no TIME_WAIT, so that ACK
                // may never come: treat the exchange as complete rather than failing after 13 s.
                EndAckGaveUp = true;
                CloseCleanly();
                return;
            }
            p.RtoTimeouts++;
            MarkLost(p);
        }
        _bbr.OnRto(_inFlight.Count);
        SendPackets();
    }

    /// <summary>The stream closed without the ACK of our END (see OnRetransmissionTimeout).</summary>
    public bool EndAckGaveUp { get; private set; }
}
