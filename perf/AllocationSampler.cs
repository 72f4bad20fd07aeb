// Samples the runtime's own allocation ticks (one event per ~100 KB allocated, naming the type
// that crossed the threshold) and its GC events, so `perf join --profile` can say which types the
// client allocates and how long each collection paused, without an external profiler.
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace Cabal.Perf;

internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new();
    private readonly ConcurrentQueue<(int Gen, int Reason, double Ms, long Promoted)> _gcs = new();
    private long _gcStartTicks;
    private int _gcGen, _gcReason;
    private volatile bool _enabled;
    private long _suspendBegin, _suspendTicks, _restartBegin, _restartTicks;
    private readonly ConcurrentQueue<(double SuspendMs, double GcMs, double RestartMs)> _phases = new();
    private long _gcBeginTicks, _gcEndTicks;
    private long _startTicks;
    private readonly ConcurrentQueue<string> _timeline = new();
    private static readonly double TimelineMs = double.TryParse(Environment.GetEnvironmentVariable("CABAL_PERF_GC_TIMELINE_MS"), CultureInfo.InvariantCulture, out var ms) ? ms : 0;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    public void Start()
    {
        _startTicks = DateTime.UtcNow.Ticks;
        _enabled = true;
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_enabled || e.Payload is null) return;
        switch (e.EventName)
        {
            case "GCAllocationTick_V4" or "GCAllocationTick_V3":
                var type = e.Payload[e.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
                var amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
                _bytesByType.AddOrUpdate(type, amount, (_, v) => v + amount);
                break;
            case "GCSuspendEEBegin_V1": _suspendBegin = e.TimeStamp.Ticks; break;
            case "GCSuspendEEEnd_V1": _suspendTicks = e.TimeStamp.Ticks - _suspendBegin; break;
            case "GCEnd_V1": _gcEndTicks = e.TimeStamp.Ticks; break;
            case "GCRestartEEBegin_V1": _restartBegin = e.TimeStamp.Ticks; break;
            case "GCRestartEEEnd_V1":
                _restartTicks = e.TimeStamp.Ticks - _restartBegin;
                _phases.Enqueue((TimeSpan.FromTicks(_suspendTicks).TotalMilliseconds, TimeSpan.FromTicks(_gcEndTicks - _gcBeginTicks).TotalMilliseconds, TimeSpan.FromTicks(_restartTicks).TotalMilliseconds));
                break;
            case "GCStart_V2":
                _gcStartTicks = e.TimeStamp.Ticks;
                _gcBeginTicks = _gcStartTicks;
                _gcGen = Convert.ToInt32(e.Payload[e.PayloadNames!.IndexOf("Depth")], CultureInfo.InvariantCulture);
                _gcReason = Convert.ToInt32(e.Payload[e.PayloadNames.IndexOf("Reason")], CultureInfo.InvariantCulture);
                break;
            case "GCHeapStats_V2":
                var promoted = Convert.ToInt64(e.Payload[e.PayloadNames!.IndexOf("TotalPromotedSize0")], CultureInfo.InvariantCulture)
                    + Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("TotalPromotedSize1")], CultureInfo.InvariantCulture);
                _gcs.Enqueue((_gcGen, _gcReason, TimeSpan.FromTicks(e.TimeStamp.Ticks - _gcStartTicks).TotalMilliseconds, promoted));
                var at = TimeSpan.FromTicks(_gcStartTicks - _startTicks).TotalMilliseconds;
                if (at < TimelineMs)
                    _timeline.Enqueue(string.Create(CultureInfo.InvariantCulture,
                        $"  {at,7:0.0} ms gen{_gcGen} reason {_gcReason} {TimeSpan.FromTicks(e.TimeStamp.Ticks - _gcStartTicks).TotalMilliseconds,5:0.0} ms promoted gen0 {Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("TotalPromotedSize0")], CultureInfo.InvariantCulture) >> 10} KB gen1 {Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("TotalPromotedSize1")], CultureInfo.InvariantCulture) >> 10} KB; gen1 now {Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("GenerationSize1")], CultureInfo.InvariantCulture) >> 10} KB"));
                break;
        }
    }

    public string Report(int top)
    {
        _enabled = false;
        var sb = new StringBuilder();
        var total = _bytesByType.Values.Sum();
        sb.AppendLine(CultureInfo.InvariantCulture, $"sampled allocations: {total / 1048576.0:0} MB");
        foreach (var (type, bytes) in _bytesByType.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value)))
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {bytes / 1048576.0,8:0.0} MB  {100.0 * bytes / Math.Max(1, total),5:0.0}%  {type}");
        var gcs = _gcs.ToArray();
        sb.AppendLine(CultureInfo.InvariantCulture, $"collections: {gcs.Length}; longest (gen, reason, ms, promoted KB):");
        foreach (var g in gcs.OrderByDescending(g => g.Ms).Take(12))
            sb.AppendLine(CultureInfo.InvariantCulture, $"  gen{g.Gen} reason {g.Reason} {g.Ms:0.0} ms promoted {g.Promoted / 1024} KB");
        if (!_timeline.IsEmpty)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"collections in the first {TimelineMs} ms:");
            foreach (var line in _timeline) sb.AppendLine(line);
        }
        sb.AppendLine("longest pauses by phase (suspend, gc, restart ms):");
        foreach (var p in _phases.ToArray().OrderByDescending(p => p.SuspendMs + p.GcMs + p.RestartMs).Take(10))
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {p.SuspendMs:0.0} / {p.GcMs:0.0} / {p.RestartMs:0.0}");
        return sb.ToString();
    }
}
