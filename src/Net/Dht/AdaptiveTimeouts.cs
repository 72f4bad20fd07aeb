// Per-address request timeouts from measured round trips, in the manner of dht-rpc's optional
// adaptive-timeout 1.0.1: a smoothed RTT and mean deviation per address (1/8 and 1/4 gains, as TCP's
// RFC 6298), attempt timeout = (srtt + 2·dev) × attempt + jitter, clamped. Addresses never measured get
// the fixed fallback (dht-rpc's 1 s). Only first and second attempts are measured: a reply to a
// retransmission cannot say which send it answers. Bounded: the table is cleared when full.
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed class AdaptiveTimeouts(TimeSpan fallback, TimeSpan min, TimeSpan max, bool enabled, Random random, int maxEntries = 65536)
{
    private const int JitterMs = 256;

    private readonly Dictionary<Ipv4EndPoint, (double Avg, double Dev)> _estimates = [];

    public int Count => _estimates.Count;

    public void Put(Ipv4EndPoint address, TimeSpan rtt)
    {
        if (!enabled) return;
        var ms = Math.Max(0, rtt.TotalMilliseconds);
        if (_estimates.TryGetValue(address, out var e))
        {
            e.Dev += (Math.Abs(e.Avg - ms) - e.Dev) / 4;
            e.Avg += (ms - e.Avg) / 8;
        }
        else
        {
            if (_estimates.Count >= maxEntries) _estimates.Clear();
            e = (ms, ms / 2);
        }
        _estimates[address] = e;
    }

    /// <summary>Timeout for send number <paramref name="attempt"/> (1-based) to <paramref name="address"/>.</summary>
    public TimeSpan Get(Ipv4EndPoint address, int attempt)
    {
        if (!enabled || !_estimates.TryGetValue(address, out var e)) return fallback;
        var ms = (e.Avg + 2 * e.Dev) * Math.Max(1, attempt) + random.Next(JitterMs);
        return TimeSpan.FromMilliseconds(Math.Clamp(ms, min.TotalMilliseconds, max.TotalMilliseconds));
    }
}
