using System.Collections.Concurrent;

namespace Cabal.Multifeed.Replication;

/// <summary>
/// Block requests in flight on one connection, across all of its feeds. hypercore allows 16 per
/// feed, so with thousands of feeds a fresh peer could have tens of thousands of blocks arriving at
/// once, all alive in memory together (long GC pauses, growing RSS). A feed that finds the budget
/// spent waits, and is woken when a slot is free.
/// <para>
/// A feed whose block just arrived gets the first go at the freed slot (<see cref="Return"/>, then
/// its own requests, then <see cref="WakeWaiters"/>), so a sync works through a few dozen feeds at a
/// time instead of one block from each of thousands in turn. That locality is what keeps the
/// client's garbage collections short: each feed's replication and storage state is touched in one
/// burst, not kept half-finished (and referencing fresh objects) across every collection.
/// </para>
/// <para>
/// It also counts the memory the remote's Have claims take on the connection (each feed's bitfield of
/// blocks the remote has and we lack), so that Haves scattered over many channels are bounded per
/// connection, not only per feed (issue 20).
/// </para>
/// </summary>
public sealed class RequestBudget(int max, long maxClaimBytes = long.MaxValue)
{
    private readonly ConcurrentQueue<FeedPeer> _waiting = new();
    private int _used;
    private long _claimBytes;

    /// <summary>The most requests in flight on the connection.</summary>
    public int Max { get; } = max > 0 ? max : throw new ArgumentOutOfRangeException(nameof(max));

    /// <summary>The most bytes of remote-claim bitfields the connection's feeds may hold together.</summary>
    public long MaxClaimBytes { get; } = maxClaimBytes > 0 ? maxClaimBytes : throw new ArgumentOutOfRangeException(nameof(maxClaimBytes));

    /// <summary>Bytes of remote-claim bitfields the connection's feeds hold now.</summary>
    public long ClaimBytes => Interlocked.Read(ref _claimBytes);

    /// <summary>Counts <paramref name="bytes"/> more of claim bitfield; false once the total is over <see cref="MaxClaimBytes"/>.</summary>
    internal bool ChargeClaims(long bytes) => Interlocked.Add(ref _claimBytes, bytes) <= MaxClaimBytes;

    /// <summary>Gives back what a feed's claims were charged, when its peer closes.</summary>
    internal void ReleaseClaims(long bytes) => Interlocked.Add(ref _claimBytes, -bytes);

    public int InUse => Volatile.Read(ref _used);

    internal bool TryAcquire(FeedPeer peer)
    {
        if (Interlocked.Increment(ref _used) <= Max) return true;
        Interlocked.Decrement(ref _used);
        // At most one place in the queue per peer, so a busy feed cannot crowd out the others.
        if (peer.MarkWaitingForBudget()) _waiting.Enqueue(peer);
        return false;
    }

    /// <summary>Returns a slot taken but not used, without waking anyone: safe under a peer's lock.</summary>
    internal void Return() => Interlocked.Decrement(ref _used);

    /// <summary>Returns <paramref name="count"/> slots and wakes waiting feeds. Never call it under a peer's lock.</summary>
    internal void Release(int count = 1)
    {
        if (count <= 0) return;
        Interlocked.Add(ref _used, -count);
        WakeWaiters();
    }

    /// <summary>Wakes waiting feeds while slots are free. Never call it under a peer's lock.</summary>
    internal void WakeWaiters()
    {
        // One waiter per free slot (a woken peer that finds nothing to do costs little); a bound on
        // the loop, since woken peers take slots concurrently.
        var free = Max - Volatile.Read(ref _used);
        for (var i = 0; i < free && _waiting.TryDequeue(out var peer); i++)
        {
            peer.ClearWaitingForBudget();
            peer.Wake();
        }
    }
}
