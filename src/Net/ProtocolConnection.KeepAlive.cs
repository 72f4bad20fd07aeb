// Liveness (hypercore-protocol 8 defaults; spec/hypercore.md §7.2): after KeepAliveInterval (10 s)
// without sending, send a ping, i.e. one 00 byte through the send keystream; after IdleTimeout (20 s)
// without receiving a single byte, end the connection. Pings are skipped during the handshake and
// while frames are queued (those will reset the clock anyway), as in JS. One timer serves both, ticking
// at a quarter of the shorter period, so a deadline is overshot by at most 25 %. A tick that arrives
// far too late means this process was stalled (thread-pool starvation, GC, a paused VM): the receive
// loop was stalled too, so bytes may be waiting unread, and the idle check waits one more tick.
using Cabal.Net.Internal;

namespace Cabal.Net;

public sealed partial class ProtocolConnection
{
    private long _lastSendTick;    // milliseconds on Clock
    private long _lastReceiveTick;

    /// <summary>Milliseconds since this connection was made, on <see cref="ProtocolConnectionOptions.TimeProvider"/>.</summary>
    private long Clock => (long)_options.TimeProvider.GetElapsedTime(_createdAt).TotalMilliseconds;

    /// <summary>When the last byte arrived, on the connection's clock (see <see cref="Clock"/>).</summary>
    internal long LastReceivedAt => Volatile.Read(ref _lastReceiveTick);

    /// <summary>The connection's clock now.</summary>
    internal long Now => Clock;

    private async Task TimersLoopAsync(CancellationToken ct)
    {
        var keepAlive = _options.KeepAliveInterval;
        var idle = _options.IdleTimeout;
        var periods = new[] { keepAlive, idle }.Where(t => t > TimeSpan.Zero).ToArray();
        if (periods.Length == 0) return;

        var tick = TimeSpan.FromTicks(Math.Max(periods.Min().Ticks / 4, TimeSpan.FromMilliseconds(5).Ticks));
        var stallMs = 3 * (long)tick.TotalMilliseconds;
        var previous = Clock;
        using var timer = new PeriodicTimer(tick, _options.TimeProvider);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            var now = Clock;
            var stalled = now - previous > stallMs;
            previous = now;
            if (idle > TimeSpan.Zero && !stalled && now - Volatile.Read(ref _lastReceiveTick) >= (long)idle.TotalMilliseconds)
            {
                ConnectionLog.IdleTimeout(_log, idle);
                End(new TimeoutException($"Nothing received for {idle.TotalSeconds:0.###} s (ETIMEDOUT)."));
                return;
            }

            if (keepAlive > TimeSpan.Zero
                && _handshakeDone.Task.IsCompletedSuccessfully
                && now - Volatile.Read(ref _lastSendTick) >= (long)keepAlive.TotalMilliseconds
                && Interlocked.Read(ref _queuedBytes) == 0)
            {
                lock (_gate) EnqueueLocked(OutboundFrame.Ping());
                Volatile.Write(ref _lastSendTick, now);
            }
        }
    }
}
