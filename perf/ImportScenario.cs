// `perf import`: importing a cabal-core 16 store (make-cabal.js, F feeds × M messages, built in a temp
// directory, never in the repository) into a fresh FeedStore with the Legacy importer, each run in a
// fresh process (`perf import-child`), next to the time JS cabal-core takes to open the same store
// (bench-load.js: process start → cabal.ready, and → every view indexed).
//   blocks/s = blocks imported ÷ LegacyImporter.ImportAsync's wall time (every block read, hashed and
//   checked against its verified leaf, every feed's signature verified, durably committed);
//   total = process spawn → store closed and the process exited (what `cabal import` would cost).
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cabal.Multifeed.Legacy;
using Cabal.Multifeed.Storage;

namespace Cabal.Perf;

internal static class ImportScenario
{
    public const string Begin = "<!-- import:begin -->";
    public const string End = "<!-- import:end -->";
    public const string ChildCommand = "import-child";
    private const double GoalBlocksPerSecond = 100_000;

    /// <summary>One measured import in a fresh process.</summary>
    /// <param name="SecondImportMs">The same import again in the same process, into another fresh store: without the cold start (JIT, first loads).</param>
    /// <param name="DoneTimestamp">Stopwatch ticks (CLOCK_MONOTONIC, comparable with the parent's) when the first import's store was closed.</param>
    /// <param name="ImportJitMethods">Methods the JIT compiled during the first import (any tier: code ReadyToRun did not hold, and hot code re-compiled).</param>
    /// <param name="ImportJitMs">Time this process spent JIT-compiling during the first import (all threads).</param>
    /// <param name="ImportCpuMs">CPU time (user + system, all threads) of the first import: less sensitive than wall time to other processes on the machine.</param>
    internal sealed record ChildResult(long DoneTimestamp, double MainToDoneMs, double OpenMs, double ImportMs, double CloseMs, double SecondImportMs, int Feeds, int FeedsImported,
        ulong Blocks, ulong Bytes, int Problems, double? PeakRssMb, long ImportJitMethods = 0, double ImportJitMs = 0, double ImportCpuMs = 0);

    internal sealed record SizeResult(int Feeds, int Messages, ulong Blocks, IReadOnlyList<ChildResult> Runs, IReadOnlyList<double> SpawnToExitMs,
        Summary? ImportMs, Summary? BlocksPerSecond, Summary? SecondBlocksPerSecond, Summary? TotalMs, Summary? JsReadyMs, Summary? JsIndexedMs, string? Error);

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
        var r2r = new Option<bool>("--ready-to-run") { Description = "Run the measured imports from a ReadyToRun publish (precompiled, as a release build ships; kept in --work).", DefaultValueFactory = _ => true };
        var cmd = new Command("import", "Import make-cabal.js cabals (hypercore 9 storage) into a fresh FeedStore, next to JS cabal-core opening them.")
        {
            sizes, messages, runs, jsRuns, work, jsTimeout, write, outDir, r2r, from,
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
                ReadyToRun = r.GetValue(r2r),
            };
            string? childDll = null;
            if (o.ReadyToRun)
            {
                var (dll, error) = await ReadyToRunBuild.EnsureAsync(o.CacheDir, ct).ConfigureAwait(false);
                if (dll is null) Console.Error.WriteLine($"perf: {error}; measuring the JIT build instead");
                childDll = dll;
            }
            var started = DateTimeOffset.Now;
            var js = await JsBaseline.ProbeAsync(o, ct).ConfigureAwait(false);
            var machine = Machine.Describe(js.NodeVersion);
            var results = new List<SizeResult>();
            var command = new CommandInfo(list, o.Messages, r.GetValue(runs), o.JsRuns, o.JsTimeoutSeconds, childDll is not null);
            foreach (var f in list)
            {
                results.Add(await MeasureAsync(o, js, f, Math.Max(1, r.GetValue(runs)), childDll, ct).ConfigureAwait(false));
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

    private static async Task<SizeResult> MeasureAsync(LoadOptions o, JsAvailability js, int feeds, int runs, string? childDll, CancellationToken ct)
    {
        SizeResult Failed(string why) => new(feeds, o.Messages, 0, [], [], null, null, null, null, null, null, why);
        if (!js.Available) return Failed($"cannot build the cabal: {js.Reason}");
        // Builds the cabal with make-cabal.js (kept in --work) and times bench-load.js on it.
        var jsResult = await JsBaseline.MeasureAsync(o with { JsMaxFeeds = int.MaxValue }, js, feeds, o.Messages, ct).ConfigureAwait(false);
        if (jsResult.CabalDir is not { } cabal || !File.Exists(Path.Combine(cabal, "harness-meta.json")))
            return Failed($"make-cabal.js: {jsResult.Detail}");
        var key = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(cabal, "harness-meta.json"), ct).ConfigureAwait(false)).RootElement.GetProperty("key").GetString()!;

        var children = new List<ChildResult>();
        var walls = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var store = Path.Combine(o.CacheDir, $"store-{Guid.NewGuid():N}");
            try
            {
                string[] childArgs = [ChildCommand, "--source", cabal, "--key", key, "--store", store];
                var (file, args) = childDll is not null ? ("dotnet", ["exec", childDll, .. childArgs]) : SelfInvocation.For(childArgs);
                var outcome = await ProcessRunner.RunAsync(file, args, TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
                var line = outcome.Stdout.LastOrDefault(l => l.StartsWith('{'));
                if (!outcome.Succeeded || line is null) return Failed($"import-child {outcome.Describe()}: {outcome.StderrTail}");
                children.Add(JsonSerializer.Deserialize<ChildResult>(line, LoadChild.Json)!);
                walls.Add(Ms(outcome.SpawnTimestamp, children[^1].DoneTimestamp)); // spawn → first import closed
                Console.Error.WriteLine($"  import F={feeds}: run {i + 1}/{runs}: {children[^1].ImportMs:0} ms, {children[^1].Blocks / (children[^1].ImportMs / 1000):0} blocks/s (2nd in process: {children[^1].Blocks / (children[^1].SecondImportMs / 1000):0})");
            }
            finally
            {
                StoreCache.DeleteIfPresent(store);
                StoreCache.DeleteIfPresent(store + "-2");
            }
        }
        var bad = children.FirstOrDefault(c => c.Problems > 0 || c.FeedsImported != feeds + 1 || c.Blocks != (ulong)feeds * (ulong)o.Messages);
        return new SizeResult(feeds, o.Messages, children[0].Blocks, children, walls,
            Summary.Of(children.Select(c => (double?)c.ImportMs)),
            Summary.Of(children.Select(c => (double?)(c.Blocks / (c.ImportMs / 1000)))),
            Summary.Of(children.Select(c => (double?)(c.Blocks / (c.SecondImportMs / 1000)))),
            Summary.Of(walls.Select(w => (double?)w)),
            jsResult.ReadyAtMs, jsResult.IndexedAtMs,
            bad is null ? null : $"a run imported {bad.FeedsImported} feeds / {bad.Blocks} blocks with {bad.Problems} problems");
    }

    /// <summary>The hidden child: open a fresh store, import, close (durable), print one JSON line.</summary>
    public static async Task<int> RunChildAsync(long mainTimestamp, string source, string key, string storeDir)
    {
        var t0 = Stopwatch.GetTimestamp();
        var store = FeedStore.Open(storeDir);
        var t1 = Stopwatch.GetTimestamp();
        LegacyImportReport report;
        long t2;
        var (jit0, jitTime0, cpu0) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime(), Environment.CpuUsage.TotalTime);
        long jitMethods;
        TimeSpan jitTime, cpu;
        try
        {
            report = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(source, Convert.FromHexString(key))).ConfigureAwait(false);
            t2 = Stopwatch.GetTimestamp();
            (jitMethods, jitTime, cpu) = (System.Runtime.JitInfo.GetCompiledMethodCount() - jit0, System.Runtime.JitInfo.GetCompilationTime() - jitTime0, Environment.CpuUsage.TotalTime - cpu0);
        }
        finally
        {
            await store.DisposeAsync().ConfigureAwait(false);
        }
        var t3 = Stopwatch.GetTimestamp();
        var peak = LoadChild.PeakRssMb();

        // Again, warm, into another fresh store (after the clock of the first run stopped).
        double second;
        await using (var again = FeedStore.Open(storeDir + "-2"))
        {
            var s0 = Stopwatch.GetTimestamp();
            await LegacyImporter.ImportAsync(again, LegacyCabalStore.Open(source, Convert.FromHexString(key))).ConfigureAwait(false);
            second = Ms(s0, Stopwatch.GetTimestamp());
        }
        var result = new ChildResult(t3, Ms(mainTimestamp, t3), Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), second, report.Feeds, report.FeedsImported,
            report.NewBlocks, report.NewBytes, report.Problems.Count, peak, jitMethods, jitTime.TotalMilliseconds, cpu.TotalMilliseconds);
        foreach (var p in report.Problems) await Console.Error.WriteLineAsync(p.ToString()).ConfigureAwait(false);
        await Console.Out.WriteLineAsync(JsonSerializer.Serialize(result, LoadChild.Json)).ConfigureAwait(false);
        return 0;
    }

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>How a report was made (for the rendered command line and method).</summary>
    internal sealed record CommandInfo(IReadOnlyList<int> Sizes, int Messages, int Runs, int JsRuns, int JsTimeoutSeconds, bool ReadyToRun);

    internal sealed record SavedReport(DateTimeOffset Started, MachineInfo Machine, CommandInfo Command, List<SizeResult> Results);

    private static string Render(List<SizeResult> results, MachineInfo m, DateTimeOffset started, CommandInfo c)
    {
        static string T(double ms) => ms >= 10_000 ? $"{ms / 1000:0.#} s" : $"{ms:0} ms";
        static string F(Summary? s, string unit = "ms") => s is null ? "—" : unit == "ms"
            ? s.Count == 1 ? T(s.Median) : $"{T(s.Median)} ({T(s.Min)}–{T(s.Max)})"
            : $"{s.Median:#,0} ({s.Min:#,0}–{s.Max:#,0})";
        var sb = new StringBuilder();
        sb.AppendLine("## Import: a cabal-core 16 store (make-cabal.js) into a fresh FeedStore");
        sb.AppendLine();
        sb.AppendLine("_Generated by `perf import --write-results`; edits between the import markers are overwritten._");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Measured {started:yyyy-MM-dd HH:mm zzz}. Machine: {m.Cores} cores ({m.Cpu}), {m.Os}, {m.DotNet}, node {m.Node ?? "—"}; load average at start {string.Join(" / ", m.LoadAverageAtStart)}, at end {string.Join(" / ", m.LoadAverageAtEnd ?? [])}.");
        if (m.LooksBusy) sb.AppendLine().AppendLine("> **These numbers may be noisy.** The machine was busy (other engineers' builds and tests; see the load averages): timings are inflated and spread wider than on a quiet machine.");
        sb.AppendLine();
        sb.AppendLine("```sh");
        sb.AppendLine(CultureInfo.InvariantCulture, $"dotnet run -c Release --project perf -- import --sizes {string.Join(',', c.Sizes)} --messages {c.Messages} --runs {c.Runs} --js-runs {c.JsRuns} --js-timeout {c.JsTimeoutSeconds}{(c.ReadyToRun ? "" : " --ready-to-run false")} --write-results");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine((c.ReadyToRun ? "Each run is a fresh process (`perf import-child`, from a ReadyToRun publish of the harness, as a release build ships)" : "Each run is a fresh process (`perf import-child`, JIT-compiled: the ReadyToRun publish was not used)") + " that opens an empty FeedStore (durable commits), runs `LegacyImporter.ImportAsync` on the make-cabal.js directory (built once in `--work`, a temp directory; F users + the empty local writer) and closes the store. *Import* (and *blocks/s*, cold) is ImportAsync alone in that fresh process, its first import: process start and opening the store are not counted (they are in *total*), the code's first JIT compilation and first-tier execution are. It covers every file read, every feed's signature verified, every tree node hashed down from the signed roots, every block checked against its leaf, everything committed. *Total* is from spawning the process until the import's store was closed (durable): what `cabal import` would cost. *2nd import* repeats the import in the same process into another fresh store, without the cold start (loading assemblies and libsodium/LMDB, code not yet at its final tier). JS: a fresh `node bench-load.js --dir CABAL` on the same directory (cabal-core 16 re-indexes every message on every start; `../shared/interop/ANCHOR-RESULTS.md` has the same measured on a quiet machine). Medians, min–max in brackets.");
        sb.AppendLine();
        sb.AppendLine("| F × M | blocks | import | blocks/s | blocks/s, 2nd import in the same process | total (spawn → imported, closed) | JS start → `cabal.ready` | JS start → all indexed | C# total ÷ JS ready |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            if (r.Error is not null && r.Runs.Count == 0) { sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Feeds:#,0} × {r.Messages} | — | {r.Error} | | | | | | |"); continue; }
            var ratio = r.TotalMs is { } t && r.JsReadyMs is { } j ? $"{t.Median / j.Median:0.000}" : "—";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Feeds:#,0} × {r.Messages} | {r.Blocks:#,0} | {F(r.ImportMs)} | {F(r.BlocksPerSecond, "n")} | {F(r.SecondBlocksPerSecond, "n")} | {F(r.TotalMs)} | {F(r.JsReadyMs)} | {F(r.JsIndexedMs)} | {ratio} |");
        }
        sb.AppendLine();
        static double Median(IEnumerable<double> xs) { var a = xs.Order().ToArray(); return a.Length == 0 ? 0 : a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2; }
        var measured = results.Where(r => r.Runs.Count > 0 && r.Runs.Any(x => x.ImportJitMethods > 0)).ToList();
        if (measured.Count > 0)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"During the cold import (medians): {string.Join("; ", measured.Select(r => $"{r.Feeds:#,0} feeds: {Median(r.Runs.Select(x => (double)x.ImportJitMethods)):0} methods JIT-compiled ({Median(r.Runs.Select(x => x.ImportJitMs)):0} ms of JIT), {Median(r.Runs.Select(x => x.ImportCpuMs)):0} ms of CPU on all threads"))}. JIT-compiled methods are code the ReadyToRun image did not hold plus hot methods recompiled at a higher tier (`System.Runtime.JitInfo`); CPU time is less disturbed by other processes than wall time.");
            sb.AppendLine();
        }
        var met = results.Where(r => r.BlocksPerSecond is not null && r.SecondBlocksPerSecond is not null).ToList();
        string Verdict(Func<SizeResult, Summary> pick) => met.Count > 0 && met.All(r => pick(r).Median >= GoalBlocksPerSecond) ? "met" : "not met";
        string Figures(Func<SizeResult, Summary> pick) => string.Join(", ", met.Select(r => $"{r.Feeds:#,0} feeds: {pick(r).Median:#,0}"));
        sb.AppendLine(CultureInfo.InvariantCulture, $"**Goal ≥ {GoalBlocksPerSecond:#,0} blocks/s: {Verdict(r => r.SecondBlocksPerSecond!)} once the process is warm** ({Figures(r => r.SecondBlocksPerSecond!)}); **{Verdict(r => r.BlocksPerSecond!)} from a cold process** ({Figures(r => r.BlocksPerSecond!)}), medians.");
        var thousand = results.FirstOrDefault(r => r.Feeds == 1000);
        if (thousand is { TotalMs: { } tt, JsReadyMs: { } jr })
            sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"**Importing the 1,000-feed cabal ({T(tt.Median)}, whole process) is {(tt.Median < jr.Median ? "faster" : "slower")} than cabal-core takes to start on it ({T(jr.Median)} to `cabal.ready`).**");
        foreach (var r in results.Where(r => r.Error is not null)) sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"* F={r.Feeds}: {r.Error}");
        sb.AppendLine();
        return sb.ToString();
    }
}
