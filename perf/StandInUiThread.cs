// The join scenario's stand-in for the terminal client's UI thread: ticks every millisecond, drains
// at most 256 chat events per tick (what a batched UI update does), and records how late each tick
// was, with the GC pause that fell inside each late one.
using System.Diagnostics;
using System.Globalization;
using Cabal.Chat.Events;

namespace Cabal.Perf;

internal sealed class StandInUiThread : IDisposable
{
    private readonly Thread _thread;
    private readonly List<double> _gaps = new(1 << 16);
    private readonly List<(double Gap, double GcMs, string Gc)> _long = [];
    private volatile CabalSubscription? _events;
    private volatile bool _stop;
    private long _ticks, _drained;
    private long _reset = Stopwatch.GetTimestamp();

    public StandInUiThread()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "ui" };
        _thread.Start();
    }

    /// <summary>Ticks later than 8 ms, with the GC pause time that fell inside each.</summary>
    public IReadOnlyList<(double Gap, double GcMs, string Gc)> LongTicks { get { lock (_gaps) return _long.ToList(); } }

    /// <summary>The chat events to drain from now on (null: none).</summary>
    public void Attach(CabalSubscription? events) => _events = events;

    private void Loop()
    {
        var last = Stopwatch.GetTimestamp();
        var lastPause = GC.GetTotalPauseDuration();
        while (!_stop)
        {
            Thread.Sleep(1);
            var now = Stopwatch.GetTimestamp();
            var gap = Stopwatch.GetElapsedTime(last, now).TotalMilliseconds - 1.0;
            var pause = GC.GetTotalPauseDuration();
            lock (_gaps)
            {
                _gaps.Add(Math.Max(0, gap));
                if (gap > 8) _long.Add((gap, (pause - lastPause).TotalMilliseconds, $"at {Stopwatch.GetElapsedTime(_reset).TotalMilliseconds:0} ms " + Describe(GC.GetGCMemoryInfo(GCKind.Any))));
            }
            lastPause = pause;
            if (_events is { } events)
                for (var i = 0; i < 256 && events.Reader.TryRead(out _); i++) _drained++;
            _ticks++;
            last = Stopwatch.GetTimestamp();
        }
    }

    private static string Describe(GCMemoryInfo i) => string.Create(CultureInfo.InvariantCulture,
        $"gen{i.Generation} #{i.Index} compacted={i.Compacted} heap={i.HeapSizeBytes >> 20} MB promoted={i.PromotedBytes >> 10} KB gen1 {i.GenerationInfo[1].SizeAfterBytes >> 20} MB gen2 {i.GenerationInfo[2].SizeAfterBytes >> 20} MB");

    public void ResetStats()
    {
        lock (_gaps)
        {
            _gaps.Clear();
            _long.Clear();
            _ticks = _drained = 0;
            _reset = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Longest and 99th-percentile lateness since the last reset, ticks and events drained.</summary>
    public (double Max, double P99, long Ticks, long Events) Collect()
    {
        lock (_gaps)
        {
            if (_gaps.Count == 0) return (0, 0, 0, 0);
            var sorted = _gaps.Order().ToArray();
            return (sorted[^1], sorted[(int)(sorted.Length * 0.99)], _ticks, Interlocked.Read(ref _drained));
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
