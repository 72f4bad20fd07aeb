// The output of the harness's peer commands (`udx-peer`, `dht-peer`), as the JS harness scripts write
// theirs: one JSON object per stdout line, {"event": name, ...fields, "t": ms since start}, flushed at once.
using System.Diagnostics;
using System.Text.Json;

namespace Cabal.Perf;

internal static class EventLines
{
    private static readonly long s_start = Stopwatch.GetTimestamp();
    private static readonly Lock s_out = new();

    /// <summary>Milliseconds since this process's first event line was prepared.</summary>
    public static double ElapsedMs => Stopwatch.GetElapsedTime(s_start).TotalMilliseconds;

    /// <summary>Writes one event; <paramref name="fields"/> is an object whose public properties become the fields.</summary>
    public static void Emit(string name, object? fields = null)
    {
        var map = new Dictionary<string, object?> { ["event"] = name };
        if (fields is not null)
            foreach (var p in fields.GetType().GetProperties()) map[p.Name] = p.GetValue(fields);
        map["t"] = Math.Round(ElapsedMs, 1);
        var line = JsonSerializer.Serialize(map);
        lock (s_out)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}
