// hyperswarm's retry timer (lib/retry-timer.js, lib/bulk-timer.js), as due times instead of intervals.
// Four backoffs S, M, L, X (X only for explicit peers, which are not modelled) whose random parts are drawn
// once, each with its own extra jitter. Each backoff is a bulk timer: an interval of floor(0.66 T) started
// at its first use; a peer added to it fires on the second tick after it was added, so after 0.66 T to
// 1.32 T. Which backoff (retry-timer.js:23-52): attempts 0 → S; proven: 1 → S, 2 → M, 3 → L; never
// connected: 1 → M, 2 → L, 3 → L; more than 3 → none (the peer waits to be found again).
namespace Cabal.Net.Swarm;

internal sealed class RetrySchedule
{
    private const int Jitter = 500;
    private readonly BulkTimer _s, _m, _l;

    public RetrySchedule(Random random)
    {
        // retry-timer.js:3-7 and :17-20: the base draw, then the per-timer jitter.
        _s = new BulkTimer(1000 + Draw(random, Jitter) + Draw(random, Jitter));
        _m = new BulkTimer(5000 + Draw(random, 2 * Jitter) + Draw(random, Jitter));
        _l = new BulkTimer(15000 + Draw(random, 4 * Jitter) + Draw(random, Jitter));
    }

    private static int Draw(Random random, int max) => (int)Math.Round(max * random.NextDouble());

    /// <summary>The backoff periods T of S, M and L (for tests).</summary>
    public (long S, long M, long L) Periods => (_s.Time, _m.Time, _l.Time);

    /// <summary>When a peer that has just closed should be retried; null when it should not.</summary>
    public long? DueAt(SwarmPeer peer, long nowMs)
    {
        var timer = Select(peer);
        return timer?.DueAt(nowMs);
    }

    private BulkTimer? Select(SwarmPeer peer) => peer.Attempts switch
    {
        0 => _s,
        1 => peer.Proven ? _s : _m,
        2 => peer.Proven ? _m : _l,
        3 => _l,
        _ => null,
    };

    private sealed class BulkTimer(long time)
    {
        private long? _start;
        public long Time { get; } = time;
        private long Period => (long)Math.Floor(Time * 0.66);

        public long DueAt(long nowMs)
        {
            _start ??= nowMs;
            // The first tick strictly after now moves the entry to "next"; the tick after fires it.
            var firstTick = (nowMs - _start.Value) / Period + 1;
            return _start.Value + (firstTick + 1) * Period;
        }
    }
}
