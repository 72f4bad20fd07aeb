// A token bucket: up to Burst tokens, refilled at Rate per second on the injected clock. Used for
// "at most N per minute" limits (feeds a peer may introduce, messages per second on a channel)
// where a short burst is normal and a sustained flood is not. Not thread-safe: each user holds one
// under its own lock or on its own single-threaded worker.
namespace Cabal.Net.Admission;

public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    /// <param name="ratePerSecond">Tokens added per second (0: never refilled).</param>
    /// <param name="burst">Most tokens held at once; the bucket starts full.</param>
    public TokenBucket(double ratePerSecond, double burst, TimeProvider? timeProvider = null)
    {
        if (ratePerSecond < 0 || double.IsNaN(ratePerSecond)) throw new ArgumentOutOfRangeException(nameof(ratePerSecond));
        if (burst < 1 || double.IsNaN(burst)) throw new ArgumentOutOfRangeException(nameof(burst), "A bucket holds at least one token.");
        Rate = ratePerSecond;
        Burst = burst;
        _time = timeProvider ?? TimeProvider.System;
        _tokens = burst;
        _last = _time.GetTimestamp();
    }

    /// <summary>A bucket allowing <paramref name="perMinute"/> a minute, with bursts of as many.</summary>
    public static TokenBucket PerMinute(int perMinute, TimeProvider? timeProvider = null)
        => new(perMinute / 60.0, Math.Max(1, perMinute), timeProvider);

    public double Rate { get; }
    public double Burst { get; }

    /// <summary>Tokens available now.</summary>
    public double Available
    {
        get
        {
            Refill();
            return _tokens;
        }
    }

    /// <summary>Takes <paramref name="count"/> tokens if there are that many.</summary>
    public bool TryTake(double count = 1)
    {
        Refill();
        if (_tokens < count) return false;
        _tokens -= count;
        return true;
    }

    /// <summary>Takes as many whole tokens as available, up to <paramref name="wanted"/>; returns how many.</summary>
    public int TakeUpTo(int wanted)
    {
        Refill();
        var n = (int)Math.Min(wanted, Math.Floor(_tokens));
        if (n > 0) _tokens -= n;
        return Math.Max(0, n);
    }

    /// <summary>Time until <paramref name="count"/> tokens will be available (zero if they are now; infinite if never).</summary>
    public TimeSpan TimeUntil(double count = 1)
    {
        Refill();
        if (_tokens >= count) return TimeSpan.Zero;
        if (Rate <= 0 || count > Burst) return Timeout.InfiniteTimeSpan;
        return TimeSpan.FromSeconds((count - _tokens) / Rate);
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        if (elapsed > 0) _tokens = Math.Min(Burst, _tokens + elapsed * Rate);
    }
}
