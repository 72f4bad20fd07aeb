// Per-host token buckets for a persistent node's incoming requests (dht-rpc has none): each IPv4 host
// may send `rate` requests per second with bursts of `burst`; more are dropped before decoding, so a
// flood from one host costs a dictionary lookup per datagram. Bounded: idle buckets are pruned, and
// when the table is full new hosts share one overflow bucket.
namespace Cabal.Net.Dht;

public sealed class HostRateLimiter(int ratePerSecond, int burst, int maxHosts = 16384)
{
    private readonly Dictionary<uint, (double Tokens, long Updated)> _buckets = [];
    private (double Tokens, long Updated) _overflow = (burst, 0);

    public bool Enabled => ratePerSecond > 0;

    public long Dropped { get; private set; }

    /// <summary>Takes one token for <paramref name="host"/> at time <paramref name="nowMs"/>; false when the host is over its rate.</summary>
    public bool TryAcquire(uint host, long nowMs)
    {
        if (!Enabled) return true;
        var known = _buckets.TryGetValue(host, out var b);
        if (!known)
        {
            if (_buckets.Count >= maxHosts) return Take(ref _overflow, nowMs);
            b = (burst, nowMs);
        }
        var ok = Take(ref b, nowMs);
        _buckets[host] = b;
        return ok;
    }

    private bool Take(ref (double Tokens, long Updated) b, long nowMs)
    {
        var elapsed = Math.Max(0, nowMs - b.Updated);
        b.Tokens = Math.Min(burst, b.Tokens + elapsed * ratePerSecond / 1000.0);
        b.Updated = nowMs;
        if (b.Tokens < 1)
        {
            Dropped++;
            return false;
        }
        b.Tokens -= 1;
        return true;
    }

    /// <summary>Forgets hosts whose bucket has been full for a while (called on the node's tick).</summary>
    public void Prune(long nowMs)
    {
        if (_buckets.Count == 0) return;
        var refillMs = (long)(burst * 1000.0 / Math.Max(1, ratePerSecond));
        List<uint>? idle = null;
        foreach (var (host, b) in _buckets)
            if (nowMs - b.Updated > refillMs) (idle ??= []).Add(host);
        if (idle is not null) foreach (var h in idle) _buckets.Remove(h);
    }
}
