// Delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation): every packet remembers how much
// had been delivered, and when, at the moment it was sent; when it is acknowledged, the packets delivered
// in between divided by the elapsed time is one bandwidth sample. Counts are packets, times microseconds.
namespace Cabal.Net.Udx.Engine;

/// <summary>The bandwidth sample taken from one incoming acknowledgement.</summary>
internal struct RateSample
{
    public bool HasPrior;
    public long PriorDelivered;
    public long PriorTime;
    public long SendElapsed;
    public long AckElapsed;
    public bool IsAppLimited;

    /// <summary>Packets delivered over <see cref="Interval"/>; 0 when the sample is unusable.</summary>
    public long Delivered;
    public long Interval;

    /// <summary>RTT of the newest packet acknowledged that was never retransmitted (or -1).</summary>
    public long Rtt;

    /// <summary>Packets newly acknowledged (cumulatively or selectively) and newly marked lost.</summary>
    public int Acked;
    public int Lost;

    public static RateSample Empty => new() { Rtt = -1 };
}

internal sealed class DeliveryRateEstimator
{
    /// <summary>Packets delivered so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>When <see cref="Delivered"/> last grew.</summary>
    public long DeliveredTime { get; private set; }

    private long _firstSentTime;
    // Non-zero while the sender is application-limited: the Delivered count after which samples are real again.
    private long _appLimitedUntil;

    public bool AppLimited => _appLimitedUntil != 0;

    public void OnSend(OutgoingPacket p, bool nothingInFlight, long now)
    {
        if (nothingInFlight) _firstSentTime = DeliveredTime = now;
        p.FirstSentTimeAtSend = _firstSentTime;
        p.DeliveredTimeAtSend = DeliveredTime;
        p.DeliveredAtSend = Delivered;
        p.AppLimitedAtSend = _appLimitedUntil != 0;
    }

    public void OnDelivered(OutgoingPacket p, long now, ref RateSample rs)
    {
        Delivered++;
        DeliveredTime = now;
        if (!rs.HasPrior || p.DeliveredAtSend > rs.PriorDelivered)
        {
            rs.HasPrior = true;
            rs.PriorDelivered = p.DeliveredAtSend;
            rs.PriorTime = p.DeliveredTimeAtSend;
            rs.IsAppLimited = p.AppLimitedAtSend;
            rs.SendElapsed = p.SentAt - p.FirstSentTimeAtSend;
            rs.AckElapsed = DeliveredTime - p.DeliveredTimeAtSend;
            _firstSentTime = p.SentAt;
        }
    }

    /// <summary>Completes <paramref name="rs"/> after all packets of one acknowledgement were processed.</summary>
    public void Generate(ref RateSample rs, long minRtt)
    {
        if (_appLimitedUntil != 0 && Delivered > _appLimitedUntil) _appLimitedUntil = 0;
        rs.Delivered = 0;
        rs.Interval = 0;
        if (!rs.HasPrior) return;
        var interval = Math.Max(rs.SendElapsed, rs.AckElapsed);
        // Shorter than the minimum RTT: the ACK was compressed or the clock is coarse; no reliable sample.
        if (interval <= 0 || interval < minRtt) return;
        rs.Interval = interval;
        rs.Delivered = Delivered - rs.PriorDelivered;
    }

    /// <summary>Marks the sender application-limited (it has nothing to send although the window allows it).</summary>
    public void MarkAppLimited(int inFlight) => _appLimitedUntil = Math.Max(Delivered + inFlight, 1);
}

/// <summary>A windowed maximum or minimum over time (or rounds), kept as the best three samples of sub-windows.</summary>
internal struct WindowedFilter(bool max)
{
    private (long T, double V) _a, _b, _c;
    private bool _set;
    private readonly bool _max = max;

    public readonly double Value => _a.V;

    public readonly bool HasValue => _set;

    private readonly bool Better(double v, double than) => _max ? v >= than : v <= than;

    public void Reset(long t, double v)
    {
        _a = _b = _c = (t, v);
        _set = true;
    }

    public void Update(long t, double v, long window)
    {
        if (!_set || Better(v, _a.V) || t - _c.T > window)
        {
            Reset(t, v);
            return;
        }
        if (Better(v, _b.V)) _b = _c = (t, v);
        else if (Better(v, _c.V)) _c = (t, v);

        var dt = t - _a.T;
        if (dt > window)
        {
            // The best sample aged out: promote the others.
            _a = _b;
            _b = _c;
            _c = (t, v);
            if (t - _a.T > window)
            {
                _a = _b;
                _b = _c;
            }
        }
        else if (_b.T == _a.T && dt > window / 4)
        {
            _b = _c = (t, v);
        }
        else if (_c.T == _b.T && dt > window / 2)
        {
            _c = (t, v);
        }
    }
}
