// monotonic-timestamp 0.0.9, including its float quirks: within one millisecond the n-th call
// returns t + n/(n+1000), skipping values that round to the previous one, so a burst produces
// e.g. …000, ….001, ….002 … ….0059 exactly as the JS writes them (see cabal.appended vectors).
namespace Cabal.Chat.Messages;

public sealed class MonotonicTimestamp
{
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private long _last;
    private long _count = 1;
    private double _previous;

    public MonotonicTimestamp(TimeProvider? clock = null) => _clock = clock ?? TimeProvider.System;

    /// <summary>One generator per process, as the JS module is.</summary>
    public static MonotonicTimestamp Shared { get; } = new();

    public double Next()
    {
        lock (_lock)
        {
            var t = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            double adjusted;
            if (t == _last)
            {
                do
                {
                    var c = _count++;
                    adjusted = t + c / (double)(_count + 999);
                } while (adjusted == _previous);
            }
            else
            {
                _count = 1;
                adjusted = t;
            }
            _previous = adjusted;
            _last = t;
            return adjusted;
        }
    }

    /// <summary>
    /// cabal-core's "future" test: the integer part of a timestamp after the wall clock. JS takes the
    /// text before the '.'; for positive finite numbers that is the truncation.
    /// </summary>
    public static bool IsFuture(double timestamp, long nowMs) => Math.Truncate(timestamp) > nowMs;
}
