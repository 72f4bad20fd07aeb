using Cabal.Net.Admission;
using Cabal.Tests;

namespace Cabal.Net.Tests.Admission;

// The token bucket the per-minute limits of issue 20 will use, on a hand-moved clock.
public sealed class TokenBucketTests
{
    [Fact]
    public void StartsFull_RefillsAtItsRate_AndNeverHoldsMoreThanItsBurst()
    {
        var clock = new ManualTimeProvider();
        var bucket = TokenBucket.PerMinute(60, clock); // one a second, bursts of 60
        Assert.Equal(60, bucket.TakeUpTo(100));
        Assert.False(bucket.TryTake());
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.TimeUntil());
        clock.Advance(TimeSpan.FromSeconds(2.5));
        Assert.Equal(2, bucket.TakeUpTo(10));
        Assert.True(bucket.Available is > 0.49 and < 0.51);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(60, bucket.Available);
        Assert.Equal(Timeout.InfiniteTimeSpan, bucket.TimeUntil(61)); // more than it can ever hold
    }

    [Fact]
    public void ABucketThatNeverRefills_AndBadArguments()
    {
        var clock = new ManualTimeProvider();
        var bucket = new TokenBucket(0, 2, clock);
        Assert.True(bucket.TryTake(2));
        clock.Advance(TimeSpan.FromDays(1));
        Assert.False(bucket.TryTake());
        Assert.Equal(Timeout.InfiniteTimeSpan, bucket.TimeUntil());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(-1, 1, clock));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(1, 0.5, clock));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(double.NaN, 1, clock));
    }
}
