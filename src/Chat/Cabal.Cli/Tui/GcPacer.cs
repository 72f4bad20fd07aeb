// Keeps the terminal client's garbage collections short while a big peer syncs.
//
// Why: every .NET gen0/gen1 collection stops all threads, the UI thread included, and its pause
// grows with what survives it (about 2-3 ms per MB on this project's 2-core machines). When a peer
// with thousands of feeds joins, the client builds its per-feed state (feeds, channels, replication
// and indexing state) in a burst; with the runtime's default budget of ~15-20 MB between
// collections, each collection then promotes up to 20 MB and stalls the UI for 40-130 ms. The
// gen0 budget can only be set through an environment variable (DOTNET_GCgen0size), not from
// runtimeconfig or code, so the pacer induces the collections itself: a small gen0 collection
// after every few MB allocated, and a gen1 collection whenever gen1 has grown past a few MB. Each
// collection then has little to promote. Total GC time stays about the same; it is spread into
// many pauses of a few ms instead of a few long ones.
//
// Cost when idle: reading two counters per tick. The allocation counter is read imprecisely on
// purpose: a precise read suspends every managed thread (the UI thread too) to add up their
// allocation contexts, 500 times a second; the imprecise one is off by at most a few KB per thread.
//
// Known limit: while a background gen2 collection runs, an induced collection waits for it to
// finish (20-50 ms while a big peer syncs), so a collection right after one can have more to
// promote than the budget. LongestTickGap shows it; `perf join` prints it.
using System.Diagnostics;

namespace Cabal.Cli.Tui;

/// <summary>Induces small, frequent collections so no single pause is long (see the file header). Driven by <see cref="UiLatencyGuard"/>.</summary>
public sealed class GcPacer
{
    /// <summary>Bytes allocated (process-wide) between induced gen0 collections. Default 2 MB.</summary>
    public long Gen0Budget { get; init; } = 2L << 20;

    /// <summary>Gen1 size after a collection above which the next induced collection is gen1. Default 2 MB.</summary>
    public long Gen1Budget { get; init; } = 2L << 20;

    private long _baseline = GC.GetTotalAllocatedBytes(precise: false);
    private int _collections = GC.CollectionCount(0);
    private int _nextGen;
    private long _induced;

    private long _lastTick;           // Stopwatch timestamps from here on
    private long _longestGap;
    private long _longestCollect;

    /// <summary>Longest time between two ticks since the last <see cref="ResetDiagnostics"/>: while it is long, allocations pile up for the next collection.</summary>
    public TimeSpan LongestTickGap => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longestGap));

    /// <summary>Longest induced collection since the last <see cref="ResetDiagnostics"/>, as the pacer waited for it (a background gen2 collection in progress makes it wait).</summary>
    public TimeSpan LongestCollect => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longestCollect));

    public void ResetDiagnostics()
    {
        Interlocked.Exchange(ref _longestGap, 0);
        Interlocked.Exchange(ref _longestCollect, 0);
    }

    /// <summary>Collections the pacer induced so far.</summary>
    public long Induced => Interlocked.Read(ref _induced);

    private static long Gen1Size() => GC.GetGCMemoryInfo(GCKind.Ephemeral).GenerationInfo[1].SizeAfterBytes;

    /// <summary>Reads the allocation counter and collects if the budget is spent. Call from one thread, every few ms.</summary>
    public void Tick()
    {
        var now = Stopwatch.GetTimestamp();
        if (_lastTick != 0) RecordLongest(ref _longestGap, now - _lastTick);
        _lastTick = now;
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var count = GC.CollectionCount(0);
        if (count != _collections)
        {
            // The runtime collected on its own: the budget starts over from here, and a gen1 that the
            // collection left big is collected now, while it is still a few MB.
            _collections = count;
            _baseline = allocated;
            _nextGen = Gen1Size() > Gen1Budget ? 1 : 0;
            if (_nextGen == 0) return;
        }
        else if (allocated - _baseline < Gen0Budget) return;
        GC.Collect(_nextGen, GCCollectionMode.Forced, blocking: true);
        RecordLongest(ref _longestCollect, Stopwatch.GetTimestamp() - now);
        Interlocked.Increment(ref _induced);
        _nextGen = Gen1Size() > Gen1Budget ? 1 : 0;
        _collections = GC.CollectionCount(0);
        _baseline = GC.GetTotalAllocatedBytes(precise: false);
    }

    // Only the ticking thread writes; readers on other threads see a whole value.
    private static void RecordLongest(ref long longest, long elapsed)
    {
        if (elapsed > Interlocked.Read(ref longest)) Interlocked.Exchange(ref longest, elapsed);
    }
}
