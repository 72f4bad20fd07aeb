using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cabal.Perf;

/// <summary>
/// The <c>load</c> scenario: for each size, make sure a C# store (and a JS cabal) of that size exists,
/// then time opening it in fresh processes and report medians side by side.
/// </summary>
internal static class LoadScenario
{
    // Untimed runs first: the first process after a build or a reboot pays for a cold page cache and
    // cold .NET files, which says nothing about opening the store. JS runs get none (3000 feeds take minutes).
    private const int CsWarmupRuns = 1;

    public static readonly JsonSerializerOptions ReportJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private static string? s_childDll; // the ReadyToRun harness, when o.ReadyToRun

    public static async Task<int> RunAsync(LoadOptions o, string commandLine, CancellationToken ct)
    {
        var started = DateTimeOffset.Now;
        var js = await JsBaseline.ProbeAsync(o, ct).ConfigureAwait(false);
        if (o.Js == JsMode.On && !js.Available)
        {
            await Console.Error.WriteLineAsync($"--js on, but the JS baseline cannot run: {js.Reason}").ConfigureAwait(false);
            return 1;
        }
        if (o.ReadyToRun)
        {
            var (dll, error) = await ReadyToRunBuild.EnsureAsync(o.CacheDir, ct).ConfigureAwait(false);
            if (dll is null) Log($"note: measuring JIT-compiled children: {error}");
            s_childDll = dll;
        }
        var machine = Machine.Describe(js.NodeVersion);
        Log($"load: sizes {string.Join(", ", o.EffectiveSizes)} × {o.Messages} messages; C# {o.Runs} runs, JS {(js.Available ? $"{o.JsRuns} runs" : js.Reason)}");
        if (machine.LooksBusy) Log($"note: load average {string.Join(" ", machine.LoadAverageAtStart)} on {machine.Cores} cores; numbers may be noisy");

        var sizes = new List<SizeResult>();
        Log(Tables.SummaryHeader);
        foreach (var feeds in o.EffectiveSizes)
        {
            var cs = await MeasureCsAsync(o, feeds, o.Messages, ct).ConfigureAwait(false);
            var jsResult = await JsBaseline.MeasureAsync(o, js, feeds, o.Messages, ct).ConfigureAwait(false);
            var size = new SizeResult(feeds, o.Messages, cs, jsResult, new Ratios(
                Ratio(cs.SpawnToOpenMs, jsResult.ReadyAtMs), Ratio(cs.PeakRssMb, jsResult.PeakRssMb), Ratio(cs.SpawnToLatest50Ms, JsLatest50(jsResult))));
            sizes.Add(size);
            Log(Tables.SummaryRow(size));
        }

        var report = new LoadReport("load", started, DateTimeOffset.Now, commandLine,
            machine with { LoadAverageAtEnd = Machine.LoadAverage() }, o, sizes);
        var jsonPath = await WriteJsonAsync(report, o.OutDir, ct).ConfigureAwait(false);

        // The terminal gets the compact summary; the wide table goes to RESULTS.md (--write-results) and the JSON.
        await Console.Out.WriteLineAsync(Tables.Summary(report)).ConfigureAwait(false);
        Log($"raw figures: {jsonPath}");
        if (!o.WriteResults) Log("full table: pass --write-results to put it in perf/RESULTS.md, or `render --from` the JSON later");
        if (o.WriteResults) await WriteResultsAsync(report, ct).ConfigureAwait(false);
        return sizes.All(s => s.CSharp.Status == Status.Ok) ? 0 : 1;
    }

    /// <summary>The <c>render</c> command: RESULTS.md and the plot from a saved report, e.g. after changing their layout.</summary>
    public static async Task<int> RenderAsync(string jsonPath, CancellationToken ct)
    {
        LoadReport? report;
        try
        {
            await using var stream = File.OpenRead(jsonPath);
            report = await JsonSerializer.DeserializeAsync<LoadReport>(stream, ReportJson, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            Log($"cannot read {jsonPath}: {e.Message}");
            return 1;
        }
        if (report is null) { Log($"{jsonPath} holds no report"); return 1; }
        await Console.Out.WriteLineAsync(Tables.Summary(report)).ConfigureAwait(false);
        await WriteResultsAsync(report, ct).ConfigureAwait(false);
        Log("full table written to perf/RESULTS.md");
        return 0;
    }

    private static async Task WriteResultsAsync(LoadReport report, CancellationToken ct)
    {
        var md = Path.Combine(RepoPaths.PerfDir, "RESULTS.md");
        var svg = Path.Combine(RepoPaths.PerfDir, "load.svg");
        await ResultsWriter.WriteLoadSectionAsync(md, report, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(svg, SvgPlot.Render(report), ct).ConfigureAwait(false);
        Log($"wrote {md} and {svg}");
    }

    private static async Task<CsResult> MeasureCsAsync(LoadOptions o, int feeds, int messages, CancellationToken ct)
    {
        Log($"  C#  F={feeds}: preparing the store");
        var store = await StoreCache.EnsureAsync(o.CacheDir, feeds, messages, o.Rebuild, ct).ConfigureAwait(false);
        if (store.BuildMs is { } built) Log($"  C#  F={feeds}: built {feeds} × {messages} in {Tables.Duration(built)} ({store.DiskBytes / 1e6:0.0} MB)");

        var runs = new List<CsRun>();
        string? failure = null;
        for (var i = -CsWarmupRuns; i < o.Runs && failure is null; i++)
        {
            var (run, error) = await RunChildAsync(o, store.StoreDir, feeds, messages, ct).ConfigureAwait(false);
            if (error is not null) failure = error;
            else if (i >= 0) runs.Add(run!);
        }
        return new CsResult(failure is null ? Status.Ok : Status.Failed, failure, store.StoreDir, store.BuildMs, store.DiskBytes, CsWarmupRuns, runs,
            Summary.Of(runs.Select(r => (double?)r.MainToOpenMs)),
            Summary.Of(runs.Select(r => (double?)r.SpawnToOpenMs)),
            Summary.Of(runs.Select(r => (double?)r.RuntimeStartMs)),
            Summary.Of(runs.Select(r => (double?)r.OpenMs)),
            Summary.Of(runs.Select(r => (double?)r.NewestBlockMs)),
            Summary.Of(runs.Select(r => (double?)r.ReopenMs)),
            Summary.Of(runs.Select(r => r.PeakRssMb)),
            Summary.Of(runs.Select(r => (double?)r.MainToLatest50Ms)),
            Summary.Of(runs.Select(r => (double?)r.SpawnToLatest50Ms)),
            Summary.Of(runs.Select(r => (double?)r.CabalOpenMs)),
            Summary.Of(runs.Select(r => (double?)r.Latest50QueryMs)));
    }

    private static async Task<(CsRun? Run, string? Error)> RunChildAsync(LoadOptions o, string storeDir, int feeds, int messages, CancellationToken ct)
    {
        var (file, args) = s_childDll is { } r2r
            ? ("dotnet", ["exec", r2r, LoadChild.CommandName, "--dir", storeDir])
            : SelfInvocation.For(LoadChild.CommandName, "--dir", storeDir);
        var outcome = await ProcessRunner.RunAsync(file, args, TimeSpan.FromSeconds(o.ChildTimeoutSeconds), ct).ConfigureAwait(false);
        if (!outcome.Succeeded) return (null, $"load-child {outcome.Describe()}: {outcome.StderrTail}");

        var line = outcome.Stdout.LastOrDefault(l => l.StartsWith('{'));
        var child = line is null ? null : JsonSerializer.Deserialize<ChildReport>(line, LoadChild.Json);
        if (child is null) return (null, "load-child printed no report");
        if (child.Feeds != feeds || child.LocalWriters != 1 || child.CorruptFeeds != 0 || child.MinLength != (ulong)messages || child.MaxLength != (ulong)messages)
            return (null, $"the store is not {feeds} × {messages}: it opened with {child.Feeds} feeds + {child.LocalWriters} local writers ({child.CorruptFeeds} corrupt), lengths {child.MinLength}–{child.MaxLength}; rerun with --rebuild");
        // The latest 50 must be the right ones: the newest message is the last user's last one
        // (ChatMessages' timestamps grow user by user), and the views must not have re-indexed anything.
        var expectedCount = (int)Math.Min(50L, (long)feeds * messages);
        var newest = $"message {messages - 1} from user {feeds - 1}";
        if (child.Latest50Count != expectedCount || child.Latest50Newest != newest)
            return (null, $"latest 50 of default returned {child.Latest50Count} messages, newest '{child.Latest50Newest}'; expected {expectedCount}, newest '{newest}'");
        if (child.IndexedAtStartup != 0 || child.IndexedAfterIdle != 0)
            return (null, $"the views were not current: {child.IndexedAtStartup} entries indexed at startup, {child.IndexedAfterIdle} once idle; rerun with --rebuild");

        // Both timestamps are CLOCK_MONOTONIC ticks, taken in different processes.
        var spawnToOpen = (child.OpenedTimestamp - outcome.SpawnTimestamp) * 1000.0 / child.StopwatchFrequency;
        var spawnToLatest50 = (child.Latest50Timestamp - outcome.SpawnTimestamp) * 1000.0 / child.StopwatchFrequency;
        return (new CsRun(
            Round(child.MainToOpenMs), Round(spawnToOpen), Round(spawnToOpen - child.MainToOpenMs), Round(child.OpenMs), Round(child.NewestBlockMs), Round(child.ReopenMs),
            child.Feeds, child.BlocksRead, child.PeakRssMb, Round(outcome.Elapsed.TotalMilliseconds),
            Round(child.MainToLatest50Ms), Round(spawnToLatest50), Round(child.CabalOpenMs), Round(child.Latest50QueryMs), child.Latest50Count, child.IndexedAtStartup), null);
    }

    private static async Task<string> WriteJsonAsync(LoadReport report, string outDir, CancellationToken ct)
    {
        Directory.CreateDirectory(outDir);
        var json = JsonSerializer.Serialize(report, ReportJson);
        var path = Path.Combine(outDir, $"load-{report.StartedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.json");
        await File.WriteAllTextAsync(path, json, ct).ConfigureAwait(false);
        // A fixed name as well, for scripts and the harness test.
        await File.WriteAllTextAsync(Path.Combine(outDir, "load-latest.json"), json, ct).ConfigureAwait(false);
        return path;
    }

    /// <summary>JS from process start to the latest 50 messages: all indexed, then the read.</summary>
    private static Summary? JsLatest50(JsResult js)
        => js.IndexedAtMs is { } i && js.Latest50Ms is { } l ? new Summary(Math.Round(i.Median + l.Median, 3), i.Min + l.Min, i.Max + l.Max, Math.Min(i.Count, l.Count)) : null;

    private static double? Ratio(Summary? cs, Summary? js)
        => cs is null || js is null || js.Median <= 0 ? null : Math.Round(cs.Median / js.Median, 4);

    private static double Round(double ms) => Math.Round(ms, 3);

    private static void Log(string message) => Console.Error.WriteLine(message);
}
