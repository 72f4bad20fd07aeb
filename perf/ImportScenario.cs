// `perf import`: importing a cabal-core 16 store (make-cabal.js, F feeds × M messages, built in a temp
// directory, never in the repository) with the `cabal` program as it ships (by default the Native AOT
// executable: see MeasuredCabal), next to the time JS cabal-core takes to open the same store
// (bench-load.js: process start → cabal.ready, and → every view indexed). Each run is one fresh
// `cabal import SRC --key K --data FRESH --json` process:
//   import (feeds) = the program's own `elapsedMs`: every file read, every feed's signature verified,
//   every tree node and block checked, everything durably committed; blocks/s = blocks ÷ that;
//   views = its `viewsMs`: the identity handed over, the cabal opened and every entry indexed;
//   total = process spawn → exit: runtime start, argument checks, opening the data directory,
//   feeds, views, closing (durable). Whole-process blocks/s = blocks ÷ total.
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cabal.Perf;

internal static class ImportScenario
{
    public const string Begin = "<!-- import:begin -->";
    public const string End = "<!-- import:end -->";
    private const double GoalBlocksPerSecond = 100_000;

    /// <summary>One measured `cabal import --json` process.</summary>
    /// <param name="FeedsMs">The program's `elapsedMs`: reading, verifying and storing the feeds.</param>
    /// <param name="ViewsMs">The program's `viewsMs`: identity handover, opening the cabal, indexing every entry.</param>
    /// <param name="TotalMs">Spawn → exit, as this harness saw it.</param>
    /// <param name="CpuMs">User + system CPU of the whole process (getrusage of reaped children): less disturbed by other processes than wall time.</param>
    internal sealed record ImportRun(double FeedsMs, double ViewsMs, double TotalMs, double? CpuMs, int Feeds, int FeedsImported,
        ulong Blocks, ulong Bytes, int Problems, long EntriesIndexed);

    internal sealed record SizeResult(int Feeds, int Messages, ulong Blocks, IReadOnlyList<ImportRun> Runs,
        Summary? ImportMs, Summary? BlocksPerSecond, Summary? ViewsMs, Summary? TotalMs, Summary? WholeBlocksPerSecond, Summary? CpuMs,
        Summary? JsReadyMs, Summary? JsIndexedMs, string? Error);

    public static Command BuildCommand()
    {
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated feed counts.", DefaultValueFactory = _ => "1000,3000" };
        var messages = new Option<int>("--messages") { Description = "chat/text messages per feed.", DefaultValueFactory = _ => 20 };
        var runs = new Option<int>("--runs") { Description = "Measured import processes per size (median reported).", DefaultValueFactory = _ => 3 };
        var jsRuns = new Option<int>("--js-runs") { Description = "bench-load.js runs per size (0: only build the cabal).", DefaultValueFactory = _ => 1 };
        var work = new Option<string>("--work") { Description = "Where make-cabal.js cabals are built and kept between runs (a temp directory, never the repository).", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "cabal-perf-import") };
        var jsTimeout = new Option<int>("--js-timeout") { Description = "Seconds one JS process (build or run) may take.", DefaultValueFactory = _ => 600 };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the import section of perf/RESULTS.md." };
        var outDir = new Option<string>("--out") { Description = "Directory for the JSON results.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "out") };
        var from = new Option<string?>("--from") { Description = "Re-render the import section of perf/RESULTS.md from a saved report (perf/out/import-latest.json), without measuring." };
        var build = MeasuredCabal.BuildOption();
        var cache = new Option<string>("--cache") { Description = "Where the published builds of `cabal` are kept.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "cache") };
        var cmd = new Command("import", "Import make-cabal.js cabals (hypercore 9 storage) into a fresh FeedStore, next to JS cabal-core opening them.")
        {
            sizes, messages, runs, jsRuns, work, jsTimeout, write, outDir, build, cache, from,
        };
        cmd.SetAction(async (r, ct) =>
        {
            if (r.GetValue(from) is { } saved)
            {
                var report = JsonSerializer.Deserialize<SavedReport>(await File.ReadAllBytesAsync(saved, ct).ConfigureAwait(false), LoadChild.Json)!;
                await ScenarioKit.ReplaceSectionAsync(Begin, End, Render(report.Results, report.Machine, report.Started, report.Command), ct).ConfigureAwait(false);
                return 0;
            }
            var list = (r.GetValue(sizes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            var o = new LoadOptions
            {
                OutDir = r.GetValue(outDir)!, CacheDir = Path.GetFullPath(r.GetValue(work)!), InteropDir = RepoPaths.DefaultInterop,
                Messages = r.GetValue(messages), JsRuns = Math.Max(0, r.GetValue(jsRuns)), JsTimeoutSeconds = r.GetValue(jsTimeout), Js = JsMode.On,
            };
            var (program, buildNote) = await MeasuredCabal.ResolveAsync(r.GetValue(build)!, Path.GetFullPath(r.GetValue(cache)!), ct).ConfigureAwait(false);
            if (buildNote is not null) Console.Error.WriteLine("perf import: " + buildNote);
            var started = DateTimeOffset.Now;
            var js = await JsBaseline.ProbeAsync(o, ct).ConfigureAwait(false);
            var machine = Machine.Describe(js.NodeVersion);
            var results = new List<SizeResult>();
            var command = new CommandInfo(list, o.Messages, r.GetValue(runs), o.JsRuns, o.JsTimeoutSeconds, program.Build, program.Described, buildNote);
            foreach (var f in list)
            {
                results.Add(await MeasureAsync(o, js, f, Math.Max(1, r.GetValue(runs)), program, ct).ConfigureAwait(false));
                Console.WriteLine(JsonSerializer.Serialize(results[^1] with { Runs = [] }, LoadChild.Json));
            }
            machine = machine with { LoadAverageAtEnd = Machine.LoadAverage() };
            Directory.CreateDirectory(o.OutDir);
            await File.WriteAllTextAsync(Path.Combine(o.OutDir, "import-latest.json"),
                JsonSerializer.Serialize(new SavedReport(started, machine, command, results), LoadChild.Json), ct).ConfigureAwait(false);
            if (r.GetValue(write)) await ScenarioKit.ReplaceSectionAsync(Begin, End, Render(results, machine, started, command), ct).ConfigureAwait(false);
            return results.All(x => x.Error is null) ? 0 : 1;
        });
        return cmd;
    }

    private static async Task<SizeResult> MeasureAsync(LoadOptions o, JsAvailability js, int feeds, int runs, MeasuredCabal program, CancellationToken ct)
    {
        SizeResult Failed(string why, IReadOnlyList<ImportRun>? done = null) => new(feeds, o.Messages, 0, done ?? [], null, null, null, null, null, null, null, null, why);
        if (!js.Available) return Failed($"cannot build the cabal: {js.Reason}");
        // Builds the cabal with make-cabal.js (kept in --work); bench-load.js is timed after the C# runs,
        // not before them: a JS run leaves a core busy and gigabytes of memory being handed back behind it,
        // and the first C# processes started in that wake measured the machine, not the import.
        var built = await JsBaseline.MeasureAsync(o with { JsMaxFeeds = int.MaxValue, JsRuns = 0 }, js, feeds, o.Messages, ct).ConfigureAwait(false);
        if (built.CabalDir is not { } cabal || !File.Exists(Path.Combine(cabal, "harness-meta.json")))
            return Failed($"make-cabal.js: {built.Detail}");
        var key = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(cabal, "harness-meta.json"), ct).ConfigureAwait(false)).RootElement.GetProperty("key").GetString()!;

        var done = new List<ImportRun>();
        // Run 0 is a warm-up, not counted (as in `perf swarm`): it brings the program's executable and the
        // source store into the page cache. Every counted run is still a fresh process into a fresh data
        // directory, so "cold" keeps its meaning: the program's first import in its process.
        for (var i = -1; i < runs; i++)
        {
            var data = Path.Combine(o.CacheDir, $"data-{Guid.NewGuid():N}");
            try
            {
                var (file, args) = program.Command("import", cabal, "--key", key, "--data", data, "--json");
                var cpuBefore = PeerProcess.ChildrenCpuSeconds();
                var outcome = await ProcessRunner.RunAsync(file, args, TimeSpan.FromMinutes(10), ct, env: NoDht).ConfigureAwait(false);
                var cpuAfter = PeerProcess.ChildrenCpuSeconds();
                var line = outcome.Stdout.LastOrDefault(l => l.StartsWith('{'));
                if (!outcome.Succeeded || line is null) return Failed($"`cabal import` {outcome.Describe()}: {outcome.StderrTail}", done);
                var run = Parse(line, outcome.Elapsed.TotalMilliseconds, cpuBefore is { } b && cpuAfter is { } a ? (a - b) * 1000 : null);
                if (i >= 0) done.Add(run);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  import F={feeds}: {(i < 0 ? "warm-up" : $"run {i + 1}/{runs}")}: feeds {run.FeedsMs:0} ms ({run.Blocks / (run.FeedsMs / 1000):0} blocks/s), views {run.ViewsMs:0} ms, total {run.TotalMs:0} ms"));
            }
            finally
            {
                StoreCache.DeleteIfPresent(data);
            }
        }
        var jsResult = await JsBaseline.MeasureAsync(o with { JsMaxFeeds = int.MaxValue }, js, feeds, o.Messages, ct).ConfigureAwait(false);
        var bad = done.FirstOrDefault(c => c.Problems > 0 || c.FeedsImported != feeds + 1 || c.Blocks != (ulong)feeds * (ulong)o.Messages || c.EntriesIndexed < (long)c.Blocks);
        return new SizeResult(feeds, o.Messages, done[0].Blocks, done,
            Summary.Of(done.Select(c => (double?)c.FeedsMs)),
            Summary.Of(done.Select(c => (double?)(c.Blocks / (c.FeedsMs / 1000)))),
            Summary.Of(done.Select(c => (double?)c.ViewsMs)),
            Summary.Of(done.Select(c => (double?)c.TotalMs)),
            Summary.Of(done.Select(c => (double?)(c.Blocks / (c.TotalMs / 1000)))),
            Summary.Of(done.Select(c => c.CpuMs)),
            jsResult.ReadyAtMs, jsResult.IndexedAtMs,
            bad is null ? null : $"a run imported {bad.FeedsImported} feeds / {bad.Blocks} blocks with {bad.Problems} problems, {bad.EntriesIndexed} entries indexed");
    }

    /// <summary>The report line of `cabal import --json` (one per cabal; this scenario imports one).</summary>
    private static ImportRun Parse(string line, double totalMs, double? cpuMs)
    {
        var e = JsonDocument.Parse(line).RootElement;
        return new ImportRun(e.GetProperty("elapsedMs").GetDouble(), e.GetProperty("viewsMs").GetDouble(), totalMs, cpuMs,
            e.GetProperty("feeds").GetInt32(), e.GetProperty("feedsImported").GetInt32(), e.GetProperty("newBlocks").GetUInt64(), e.GetProperty("newBytes").GetUInt64(),
            e.GetProperty("problems").GetArrayLength(), e.GetProperty("entriesIndexed").GetInt64());
    }

    // The import never goes to the network; should that change, it stays off the public DHT.
    private static readonly Dictionary<string, string> NoDht = new() { ["CABAL_NO_DHT"] = "1" };

    /// <summary>How a report was made (for the rendered command line and method).</summary>
    internal sealed record CommandInfo(IReadOnlyList<int> Sizes, int Messages, int Runs, int JsRuns, int JsTimeoutSeconds, string Build, string BuildDescribed, string? BuildNote);

    internal sealed record SavedReport(DateTimeOffset Started, MachineInfo Machine, CommandInfo Command, List<SizeResult> Results);

    private static string Render(List<SizeResult> results, MachineInfo m, DateTimeOffset started, CommandInfo c)
    {
        static string T(double ms) => ms >= 10_000 ? $"{ms / 1000:0.#} s" : $"{ms:0} ms";
        static string F(Summary? s, string unit = "ms") => s is null ? "—" : unit == "ms"
            ? s.Count == 1 ? T(s.Median) : $"{T(s.Median)} ({T(s.Min)}–{T(s.Max)})"
            : $"{s.Median:#,0} ({s.Min:#,0}–{s.Max:#,0})";
        var sb = new StringBuilder();
        sb.AppendLine("## Import: a cabal-core 16 store (make-cabal.js) imported by `cabal import`");
        sb.AppendLine();
        sb.AppendLine("_Generated by `perf import --write-results`; edits between the import markers are overwritten._");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Measured {started:yyyy-MM-dd HH:mm zzz}. Machine: {m.Cores} cores ({m.Cpu}), {m.Os}, {m.DotNet}, node {m.Node ?? "—"}; load average at start {string.Join(" / ", m.LoadAverageAtStart)}, at end {string.Join(" / ", m.LoadAverageAtEnd ?? [])}.");
        if (m.LooksBusy) sb.AppendLine().AppendLine("> **These numbers may be noisy.** The machine was busy (other engineers' builds and tests; see the load averages): timings are inflated and spread wider than on a quiet machine.");
        sb.AppendLine();
        sb.AppendLine("```sh");
        sb.AppendLine(CultureInfo.InvariantCulture, $"dotnet run -c Release --project perf -- import --sizes {string.Join(',', c.Sizes)} --messages {c.Messages} --runs {c.Runs} --js-runs {c.JsRuns} --js-timeout {c.JsTimeoutSeconds}{(c.Build == "aot" ? "" : " --build " + c.Build)} --write-results");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine($"Each run is one fresh process of the `cabal` program, {c.BuildDescribed}{(c.Build == "aot" ? $" (`{AotBuild.PublishCommand}`), as it ships" : "")}" +
            (c.BuildNote is null ? "" : $" ({c.BuildNote})") +
            ": `cabal import SRC --key K --data FRESH --json` on the make-cabal.js directory (built once in `--work`, a temp directory; F users + the empty local writer) into a new, empty data directory, after one uncounted warm-up run (the executable and the source store in the page cache). " +
            "*Import* (and *blocks/s*, cold) is the program's own `elapsedMs`: the feeds alone, in that fresh process — every file read, every feed's signature verified, every tree node hashed down from the signed roots, every block checked against its leaf, everything durably committed. " +
            "*Views* is its `viewsMs`: the JS identity handed over, the cabal opened and every entry indexed. " +
            "*Total* is from spawning the process until it exited: runtime start, argument checks, opening the data directory, feeds, views and closing — the whole of what a user waits for; *blocks/s, whole process* is blocks ÷ total. " +
            "*CPU* is user + system time of the whole process on all threads (getrusage), less disturbed than wall time by other processes on the machine. " +
            "JS: a fresh `node bench-load.js --dir CABAL` on the same directory, timed after the C# runs of that size (a JS run leaves a busy core and gigabytes of freed memory behind it) (cabal-core 16 re-indexes every message on every start; `../shared/interop/ANCHOR-RESULTS.md` has the same measured on a quiet machine). Medians, min–max in brackets.");
        sb.AppendLine();
        sb.AppendLine("| F × M | blocks | import (feeds) | blocks/s | views | total (spawn → exit) | blocks/s, whole process | CPU, whole process | JS start → `cabal.ready` | JS start → all indexed | C# total ÷ JS ready |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            if (r.Error is not null && r.Runs.Count == 0) { sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Feeds:#,0} × {r.Messages} | — | {r.Error} | | | | | | | | |"); continue; }
            var ratio = r.TotalMs is { } t && r.JsReadyMs is { } j ? $"{t.Median / j.Median:0.000}" : "—";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Feeds:#,0} × {r.Messages} | {r.Blocks:#,0} | {F(r.ImportMs)} | {F(r.BlocksPerSecond, "n")} | {F(r.ViewsMs)} | {F(r.TotalMs)} | {F(r.WholeBlocksPerSecond, "n")} | {F(r.CpuMs)} | {F(r.JsReadyMs)} | {F(r.JsIndexedMs)} | {ratio} |");
        }
        sb.AppendLine();
        var met = results.Where(r => r.BlocksPerSecond is not null && r.WholeBlocksPerSecond is not null).ToList();
        string Verdict(Func<SizeResult, Summary> pick) => met.Count > 0 && met.All(r => pick(r).Median >= GoalBlocksPerSecond) ? "met" : "not met";
        string Figures(Func<SizeResult, Summary> pick) => string.Join(", ", met.Select(r => $"{r.Feeds:#,0} feeds: {pick(r).Median:#,0}"));
        sb.AppendLine(CultureInfo.InvariantCulture, $"**Goal ≥ {GoalBlocksPerSecond:#,0} blocks/s, cold: {Verdict(r => r.BlocksPerSecond!)} for the import in a fresh process** ({Figures(r => r.BlocksPerSecond!)}, medians). Counting the whole process, views and runtime start included: {Figures(r => r.WholeBlocksPerSecond!)} blocks/s.");
        var thousand = results.FirstOrDefault(r => r.Feeds == 1000);
        if (thousand is { TotalMs: { } tt, JsReadyMs: { } jr })
            sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"**Importing the 1,000-feed cabal ({T(tt.Median)}, whole process, views included) is {(tt.Median < jr.Median ? "faster" : "slower")} than cabal-core takes to start on it ({T(jr.Median)} to `cabal.ready`).**");
        foreach (var r in results.Where(r => r.Error is not null)) sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"* F={r.Feeds}: {r.Error}");
        sb.AppendLine();
        return sb.ToString();
    }
}
