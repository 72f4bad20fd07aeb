namespace Cabal.Tests;

/// <summary>
/// A clock the test moves by hand. Timers made on it (Task.Delay, CancellationTokenSource and
/// PeriodicTimer with this provider) fire inside <see cref="Advance"/>, in due order, so "nothing
/// happens before N ms" is checked by advancing to just before N, and "nothing is scheduled at all"
/// by <see cref="UntilNextTimer"/> — no sleeping.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Lock _lock = new();
    private readonly List<Timer> _timers = [];
    private long _ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_lock) return _ticks;
    }

    public override DateTimeOffset GetUtcNow() => Epoch + TimeSpan.FromTicks(GetTimestamp());

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>How far ahead the earliest timer is due; null when none is scheduled.</summary>
    public TimeSpan? UntilNextTimer
    {
        get
        {
            lock (_lock) return _timers.Count == 0 ? null : TimeSpan.FromTicks(_timers.Min(t => t.Due) - _ticks);
        }
    }

    /// <summary>Moves the clock forward, firing every timer that falls due on the way (callbacks run on this thread).</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        long target;
        lock (_lock) target = _ticks + by.Ticks;
        while (true)
        {
            Timer? next;
            lock (_lock)
            {
                next = _timers.Where(t => t.Due <= target).MinBy(t => t.Due);
                if (next is null) { _ticks = target; return; }
                _ticks = Math.Max(_ticks, next.Due);
                if (next.Period > 0) next.Due += next.Period;
                else _timers.Remove(next);
            }
            next.Callback(next.State);
        }
    }

    private sealed class Timer(ManualTimeProvider clock, TimerCallback callback, object? state) : ITimer
    {
        public readonly TimerCallback Callback = callback;
        public readonly object? State = state;
        public long Due;
        public long Period;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                clock._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan) return true;
                Due = clock._ticks + dueTime.Ticks;
                Period = period == Timeout.InfiniteTimeSpan ? 0 : Math.Max(period.Ticks, 1);
                clock._timers.Add(this);
            }
            return true;
        }

        public void Dispose()
        {
            lock (clock._lock) clock._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
