using System.Diagnostics;
using System.Text.Json;

namespace Cabal.Perf;

/// <summary>Whether the JS stack can be measured here, and if not, why.</summary>
internal sealed record JsAvailability(bool Available, string? NodeVersion, string? Reason);

/// <summary>
/// The JS reference: the same-size cabal built by the interop harness's make-cabal.js and loaded by
/// bench-load.js, each run in a fresh node process, bounded by --js-timeout.
/// </summary>
internal static class JsBaseline
{
    private const string Format = "js-cabal-v1";
    private const string MarkerFile = "complete.json";

    // multifeed keeps up to six files open per feed; the JS stack dies of EMFILE at a few thousand
    // feeds under the default limit. The hard limit may be below what we ask for, so fall back to it.
    private const string RaiseFileLimit = "ulimit -n 65536 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"; exec \"$@\"";

    public static async Task<JsAvailability> ProbeAsync(LoadOptions o, CancellationToken ct)
    {
        if (o.Js == JsMode.Off) return new JsAvailability(false, null, "--js off");
        string? version = null;
        try
        {
            var outcome = await ProcessRunner.RunAsync("node", ["--version"], TimeSpan.FromSeconds(20), ct).ConfigureAwait(false);
            if (outcome.Succeeded) version = outcome.Stdout.FirstOrDefault()?.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // node is not on PATH
        }
        if (version is null) return new JsAvailability(false, null, "node is not installed (not on PATH)");
        if (!File.Exists(Path.Combine(o.InteropDir, "bench-load.js")))
            return new JsAvailability(false, version, $"no JS interop harness at {o.InteropDir} (--interop)");
        if (!Directory.Exists(Path.Combine(o.InteropDir, "node_modules")))
            return new JsAvailability(false, version, $"the interop harness's packages are not installed (run `npm ci` in {o.InteropDir})");
        return new JsAvailability(true, version, null);
    }

    public static async Task<JsResult> MeasureAsync(LoadOptions o, JsAvailability js, int feeds, int messages, CancellationToken ct)
    {
        var timeout = o.JsTimeoutSeconds;
        if (!js.Available)
            return Empty(o.Js == JsMode.Off ? Status.Off : Status.Unavailable, js.Reason, null, timeout);
        if (feeds > o.JsMaxFeeds)
            return Empty(Status.NotAttempted, $"not attempted: above --js-max-feeds {o.JsMaxFeeds}", null, timeout);

        var (cabalDir, buildMs, buildError) = await EnsureCabalAsync(o, feeds, messages, ct).ConfigureAwait(false);
        if (buildError is not null) return buildError;

        var runs = new List<JsRun>();
        string? detail = null;
        var status = Status.Ok;
        for (var i = 0; i < o.JsRuns; i++)
        {
            Log($"  js  F={feeds}: run {i + 1}/{o.JsRuns} (bounded at {timeout} s)");
            var outcome = await RunNodeAsync(o, "bench-load.js", ["--dir", cabalDir!, "--timeout", timeout.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct).ConfigureAwait(false);
            // bench-load.js exits 2 when its own --timeout fires; we kill it a little later as a backstop.
            if (outcome.TimedOut || outcome.ExitCode == 2)
            {
                // Later runs would take as long: stop here, keep the runs that did finish.
                status = runs.Count == 0 ? Status.DidNotFinish : Status.Ok;
                detail = runs.Count == 0
                    ? $"did not finish in {timeout} s"
                    : $"run {i + 1} did not finish in {timeout} s; {runs.Count} of {o.JsRuns} runs finished";
                break;
            }
            if (!outcome.Succeeded || FindResult(outcome.Stdout) is not { } result)
            {
                status = Status.Failed;
                detail = $"bench-load.js failed ({outcome.Describe()}): {LastLine(outcome.StderrTail)}";
                break;
            }
            runs.Add(ToRun(result, outcome.Elapsed));
        }
        return new JsResult(status, detail, cabalDir, buildMs, timeout, runs,
            Summary.Of(runs.Select(r => (double?)r.ReadyAtMs)),
            Summary.Of(runs.Select(r => r.IndexedAtMs)),
            Summary.Of(runs.Select(r => r.Latest50Ms)),
            Summary.Of(runs.Select(r => r.PeakRssMb)));
    }

    private static async Task<(string? Dir, double? BuildMs, JsResult? Error)> EnsureCabalAsync(LoadOptions o, int feeds, int messages, CancellationToken ct)
    {
        var root = Path.Combine(o.CacheDir, $"js-f{feeds}-m{messages}");
        var cabal = Path.Combine(root, "cabal");
        if (!o.Rebuild && IsComplete(root, feeds, messages)) return (cabal, null, null);

        var building = root + ".building";
        StoreCache.DeleteIfPresent(building);
        Directory.CreateDirectory(building);
        Log($"  js  F={feeds}: building the cabal with make-cabal.js (bounded at {o.JsTimeoutSeconds} s)");
        var sw = Stopwatch.StartNew();
        var outcome = await RunNodeAsync(o, "make-cabal.js",
            ["--feeds", feeds.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--messages", messages.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--dir", Path.Combine(building, "cabal"),
             "--timeout", o.JsTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct).ConfigureAwait(false);
        var buildMs = sw.Elapsed.TotalMilliseconds;
        if (!outcome.Succeeded)
        {
            StoreCache.DeleteIfPresent(building);
            var dnf = outcome.TimedOut || outcome.ExitCode == 2;
            return (null, null, Empty(dnf ? Status.DidNotFinish : Status.Failed,
                dnf ? $"building the cabal did not finish in {o.JsTimeoutSeconds} s" : $"make-cabal.js failed ({outcome.Describe()}): {LastLine(outcome.StderrTail)}",
                null, o.JsTimeoutSeconds));
        }
        await File.WriteAllTextAsync(Path.Combine(building, MarkerFile),
            JsonSerializer.Serialize(new { format = Format, feeds, messages, buildMs, builtAt = DateTimeOffset.UtcNow }), ct).ConfigureAwait(false);
        StoreCache.DeleteIfPresent(root);
        Directory.Move(building, root);
        return (cabal, buildMs, null);
    }

    private static Task<ProcessOutcome> RunNodeAsync(LoadOptions o, string script, IEnumerable<string> args, CancellationToken ct)
    {
        // A little past node's own --timeout, so the script can report its timeout itself.
        var limit = TimeSpan.FromSeconds(o.JsTimeoutSeconds + 15);
        string[] node = ["node", Path.Combine(o.InteropDir, script), .. args];
        return File.Exists("/bin/bash")
            ? ProcessRunner.RunAsync("/bin/bash", ["-c", RaiseFileLimit, "bash", .. node], limit, ct, o.InteropDir)
            : ProcessRunner.RunAsync("node", node[1..], limit, ct, o.InteropDir);
    }

    private static JsonElement? FindResult(IEnumerable<string> stdout)
    {
        foreach (var line in stdout.Reverse())
        {
            if (!line.StartsWith('{')) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.TryGetProperty("event", out var ev) && ev.GetString() == "result"
                    && root.TryGetProperty("mode", out var mode) && mode.GetString() == "load")
                    return root.Clone();
            }
            catch (JsonException)
            {
                // not one of the harness's lines
            }
        }
        return null;
    }

    private static JsRun ToRun(JsonElement r, TimeSpan wall) => new(
        Number(r, "readyAt") ?? throw new InvalidDataException("bench-load.js result has no readyAt"),
        Number(r, "indexedAt"), Number(r, "latest50Ms"), Number(r, "peakRssMb"), Math.Round(wall.TotalMilliseconds, 1), r);

    private static double? Number(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static bool IsComplete(string root, int feeds, int messages)
    {
        var marker = Path.Combine(root, MarkerFile);
        if (!File.Exists(marker) || !File.Exists(Path.Combine(root, "cabal", "harness-meta.json"))) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(marker));
            var m = doc.RootElement;
            return m.GetProperty("format").GetString() == Format && m.GetProperty("feeds").GetInt32() == feeds && m.GetProperty("messages").GetInt32() == messages;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private static JsResult Empty(string status, string? detail, string? dir, int timeout)
        => new(status, detail, dir, null, timeout, [], null, null, null, null);

    private static string LastLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";

    private static void Log(string message) => Console.Error.WriteLine(message);
}
