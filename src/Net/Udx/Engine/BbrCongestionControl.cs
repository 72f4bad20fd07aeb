// BBR v1 congestion control (Cardwell et al., "BBR: Congestion-Based Congestion Control", ACM Queue 2016;
// draft-cardwell-iccrg-bbr-congestion-control-00), counted in packets with microsecond timestamps.
//
// Why BBR and not CUBIC: CUBIC reads every loss as congestion and cuts its window by 30 %, so with random
// loss its throughput falls roughly as 1/sqrt(p): at 1 % loss it collapses to a fraction of the path.
// BBR models the path (bottleneck bandwidth and minimum RTT) and paces at that rate, so random loss costs
// only the retransmissions. The goal, "within 20 % of lossless at 1 % loss", and the real networks
// a DHT connection crosses (Wi-Fi, mobile) both favour BBR; libudx chose it for the same reason, so two
// stacks sharing a bottleneck also behave alike. The wire does not depend on the choice.
//
// Two adaptations to a user-space stack:
//   * the RTT used for the bandwidth-delay product is at least MinRttFloor (1 ms): on loopback or a LAN
//     the measured minimum is tens of microseconds, far below timer and scheduler granularity, and a
//     window of a few packets would stall whenever the receiving thread is descheduled;
//   * ACK aggregation (Linux's extra_acked) is estimated too, for receivers that acknowledge in batches.
namespace Cabal.Net.Udx.Engine;

internal sealed class BbrCongestionControl
{
    private enum Mode { Startup, Drain, ProbeBw, ProbeRtt }

    private const double HighGain = 2.885; // 2/ln(2): doubles the sending rate every round in startup
    private const double DrainGain = 1 / HighGain;
    private const double CwndGain = 2.0;
    private static readonly double[] PacingGainCycle = [1.25, 0.75, 1, 1, 1, 1, 1, 1];
    private const int BwWindowRounds = 10; // the gain cycle (8 rounds) plus two
    private const long MinRttWindowUs = 10_000_000;
    private const long ProbeRttDurationUs = 200_000;
    private const double FullBwThreshold = 1.25;
    private const int FullBwRounds = 3;
    private const int ExtraAckedWindowRounds = 5;
    private const long ExtraAckedMaxUs = 100_000;

    public const int MinCwnd = 4;
    public const int InitialCwnd = 10;

    private readonly long _minRttFloorUs;
    private Mode _mode = Mode.Startup;
    private WindowedFilter _maxBw = new(max: true); // packets per microsecond, over rounds
    private long _minRtt = -1;
    private long _minRttStamp;
    private long _roundCount;
    private long _nextRoundDelivered;
    private bool _roundStart;
    private bool _filledPipe;
    private double _fullBw;
    private int _fullBwCount;
    private int _cycleIndex;
    private long _cycleStamp;
    private long _probeRttDoneStamp;
    private bool _probeRttRoundDone;
    private bool _idleRestart;
    private int _priorCwnd;
    private bool _packetConservation;
    private CongestionState _previousState = CongestionState.Open;
    private readonly long[] _extraAcked = new long[2];
    private int _extraAckedIndex;
    private int _extraAckedRounds;
    private long _ackEpochStart;
    private long _ackEpochAcked;

    public BbrCongestionControl(long minRttFloorUs) => _minRttFloorUs = minRttFloorUs;

    /// <summary>Congestion window, in packets.</summary>
    public int Cwnd { get; private set; } = InitialCwnd;

    /// <summary>Pacing rate, in bytes per microsecond (0 until the first RTT sample: the caller uses its initial rate).</summary>
    public double PacingRate { get; private set; }

    /// <summary>Estimated bottleneck bandwidth, in packets per second.</summary>
    public double BandwidthPacketsPerSecond => _maxBw.HasValue ? _maxBw.Value * 1e6 : 0;

    public string State => _mode.ToString();

    private double PacingGain => _mode switch
    {
        Mode.Startup => HighGain,
        Mode.Drain => DrainGain,
        Mode.ProbeBw => PacingGainCycle[_cycleIndex],
        _ => 1.0,
    };

    private double CurrentCwndGain => _mode switch
    {
        Mode.Startup or Mode.Drain => HighGain,
        Mode.ProbeBw => CwndGain,
        _ => 1.0,
    };

    private double Bw => _maxBw.HasValue ? _maxBw.Value : 0;

    /// <summary>Sending restarts after an idle period (nothing was in flight).</summary>
    public void OnTransmitStart(bool appLimited, long now, int inFlight, int mss)
    {
        if (!appLimited) return;
        _idleRestart = true;
        _ackEpochStart = now;
        _ackEpochAcked = 0;
        if (_mode == Mode.ProbeBw) SetPacingRate(Bw, 1.0, mss);
        else if (_mode == Mode.ProbeRtt) CheckProbeRttDone(now, inFlight);
    }

    /// <summary>Loss detected by RACK or an RTO: remember the window to restore once recovered.</summary>
    public void SaveCwnd()
    {
        if (_previousState == CongestionState.Open && _mode != Mode.ProbeRtt) _priorCwnd = Cwnd;
        else _priorCwnd = Math.Max(_priorCwnd, Cwnd);
    }

    /// <summary>A retransmission timeout: start again from a minimal window (RFC 5681 loss window).</summary>
    public void OnRto(int inFlight)
    {
        SaveCwnd();
        Cwnd = Math.Max(inFlight + 1, MinCwnd);
    }

    /// <summary>Updates the model and the control parameters from one acknowledgement.</summary>
    public void OnAck(in RateSample rs, long delivered, long deliveredTime, int inFlight, CongestionState state, long now, int mss, long srtt)
    {
        UpdateBandwidth(rs, delivered);
        UpdateAckAggregation(rs, deliveredTime);
        if (_mode == Mode.ProbeBw && IsNextCyclePhase(rs, inFlight, deliveredTime)) AdvanceCyclePhase(deliveredTime);
        CheckFullBandwidth(rs);
        CheckDrain(inFlight, deliveredTime);
        UpdateMinRtt(rs, now, delivered, inFlight);

        if (_maxBw.HasValue) SetPacingRate(Bw, PacingGain, mss);
        else if (srtt > 0) PacingRate = Math.Max(PacingRate, HighGain * Cwnd * mss / (double)Math.Max(srtt, _minRttFloorUs));
        SetCwnd(rs, inFlight, state, delivered);
        _idleRestart = false;
    }

    private long Bdp(double bw, double gain)
    {
        if (_minRtt < 0 || bw <= 0) return InitialCwnd;
        return (long)Math.Ceiling(bw * Math.Max(_minRtt, _minRttFloorUs) * gain);
    }

    private void UpdateBandwidth(in RateSample rs, long delivered)
    {
        _roundStart = false;
        if (rs.Delivered <= 0 || rs.Interval <= 0) return;
        if (rs.PriorDelivered >= _nextRoundDelivered)
        {
            _nextRoundDelivered = delivered;
            _roundCount++;
            _roundStart = true;
            _packetConservation = false;
        }
        var bw = (double)rs.Delivered / rs.Interval;
        // An app-limited sample only says "at least this much": it may raise the estimate, never lower it.
        if (!rs.IsAppLimited || bw >= Bw) _maxBw.Update(_roundCount, bw, BwWindowRounds);
    }

    private void UpdateAckAggregation(in RateSample rs, long deliveredTime)
    {
        if (rs.Acked <= 0 || rs.Delivered <= 0 || rs.Interval <= 0) return;
        if (_roundStart && ++_extraAckedRounds >= ExtraAckedWindowRounds)
        {
            _extraAckedRounds = 0;
            _extraAckedIndex ^= 1;
            _extraAcked[_extraAckedIndex] = 0;
        }
        var expected = (long)(Bw * (deliveredTime - _ackEpochStart));
        if (_ackEpochAcked <= expected)
        {
            // The ACK rate kept up with the estimate: start a new aggregation epoch.
            _ackEpochAcked = 0;
            _ackEpochStart = deliveredTime;
            expected = 0;
        }
        _ackEpochAcked += rs.Acked;
        var extra = Math.Min(_ackEpochAcked - expected, Cwnd);
        if (extra > _extraAcked[_extraAckedIndex]) _extraAcked[_extraAckedIndex] = extra;
    }

    private long AckAggregationCwnd()
    {
        if (!_filledPipe) return 0;
        var extra = Math.Max(_extraAcked[0], _extraAcked[1]);
        return Math.Min(extra, (long)(Bw * ExtraAckedMaxUs));
    }

    private bool IsNextCyclePhase(in RateSample rs, int inFlight, long deliveredTime)
    {
        var fullLength = deliveredTime - _cycleStamp > Math.Max(_minRtt, 0);
        var gain = PacingGainCycle[_cycleIndex];
        if (gain == 1.0) return fullLength;
        // Probing up: hold until the extra packets are actually in flight (or loss says the pipe is full).
        if (gain > 1.0) return fullLength && (rs.Lost > 0 || inFlight >= Bdp(Bw, gain));
        // Draining: leave as soon as the queue we made is gone.
        return fullLength || inFlight <= Bdp(Bw, 1.0);
    }

    private void AdvanceCyclePhase(long deliveredTime)
    {
        _cycleIndex = (_cycleIndex + 1) % PacingGainCycle.Length;
        _cycleStamp = deliveredTime;
    }

    private void CheckFullBandwidth(in RateSample rs)
    {
        if (_filledPipe || !_roundStart || rs.IsAppLimited) return;
        if (Bw >= _fullBw * FullBwThreshold)
        {
            _fullBw = Bw;
            _fullBwCount = 0;
            return;
        }
        if (++_fullBwCount >= FullBwRounds) _filledPipe = true;
    }

    private void CheckDrain(int inFlight, long deliveredTime)
    {
        if (_mode == Mode.Startup && _filledPipe) _mode = Mode.Drain;
        if (_mode == Mode.Drain && inFlight <= Bdp(Bw, 1.0)) EnterProbeBw(deliveredTime);
    }

    private void EnterProbeBw(long deliveredTime)
    {
        _mode = Mode.ProbeBw;
        // Start in a cruising phase (not the 0.75 drain right after startup's drain); fixed rather than
        // random so runs are reproducible.
        _cycleIndex = 2;
        AdvanceCyclePhase(deliveredTime);
    }

    private void UpdateMinRtt(in RateSample rs, long now, long delivered, int inFlight)
    {
        var expired = _minRtt >= 0 && now - _minRttStamp > MinRttWindowUs;
        if (rs.Rtt >= 0 && (_minRtt < 0 || rs.Rtt < _minRtt || expired))
        {
            _minRtt = rs.Rtt;
            _minRttStamp = now;
        }
        if (expired && !_idleRestart && _mode != Mode.ProbeRtt)
        {
            _mode = Mode.ProbeRtt;
            SaveCwnd();
            _probeRttDoneStamp = 0;
        }
        if (_mode != Mode.ProbeRtt) return;
        if (_probeRttDoneStamp == 0 && inFlight <= MinCwnd)
        {
            _probeRttDoneStamp = now + ProbeRttDurationUs;
            _probeRttRoundDone = false;
            _nextRoundDelivered = delivered;
        }
        else if (_probeRttDoneStamp != 0)
        {
            if (_roundStart) _probeRttRoundDone = true;
            if (_probeRttRoundDone) CheckProbeRttDone(now, inFlight);
        }
    }

    private void CheckProbeRttDone(long now, int inFlight)
    {
        if (_probeRttDoneStamp == 0 || now < _probeRttDoneStamp) return;
        _minRttStamp = now;
        Cwnd = Math.Max(Cwnd, _priorCwnd);
        if (_filledPipe) EnterProbeBw(now);
        else _mode = Mode.Startup;
        _ = inFlight;
    }

    private void SetPacingRate(double bw, double gain, int mss)
    {
        var rate = bw * gain * mss; // bytes per microsecond
        if (_filledPipe || rate > PacingRate) PacingRate = rate;
    }

    private void SetCwnd(in RateSample rs, int inFlight, CongestionState state, long delivered)
    {
        var acked = rs.Acked;
        var cwnd = (long)Cwnd;
        if (acked > 0)
        {
            if (rs.Lost > 0) cwnd = Math.Max(cwnd - rs.Lost, 1);
            var conservation = false;
            if (state == CongestionState.Recovery && _previousState != CongestionState.Recovery)
            {
                // First round of fast recovery: send one packet per packet delivered.
                _packetConservation = true;
                _nextRoundDelivered = delivered;
                cwnd = inFlight + acked;
            }
            else if (_previousState != CongestionState.Open && state == CongestionState.Open)
            {
                cwnd = Math.Max(cwnd, _priorCwnd);
                _packetConservation = false;
            }
            _previousState = state;

            if (_packetConservation)
            {
                cwnd = Math.Max(cwnd, inFlight + acked);
                conservation = true;
            }
            if (!conservation)
            {
                var target = Bdp(Bw, CurrentCwndGain) + AckAggregationCwnd();
                if (_filledPipe) cwnd = Math.Min(cwnd + acked, target);
                else if (cwnd < target || delivered < InitialCwnd) cwnd += acked;
                cwnd = Math.Max(cwnd, MinCwnd);
            }
        }
        if (_mode == Mode.ProbeRtt) cwnd = Math.Min(cwnd, MinCwnd);
        Cwnd = (int)Math.Clamp(cwnd, 1, 1 << 20);
    }
}

/// <summary>Loss-recovery state of a sender (Linux's tcp_ca_state, as libudx names it).</summary>
internal enum CongestionState { Open, Recovery, Loss }
