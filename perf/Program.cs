// Cabal performance harness.
//   perf load [--feeds N] [--messages M] [--sizes 100,320,...] [--runs 5] [--js auto|on|off] ...
//   perf load-child --dir STORE      (hidden; one fresh measured open, started by `load`)
//   perf import [--sizes 1000,3000] ...   (import make-cabal.js cabals; see ImportScenario)
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cabal.Perf;

// The very first thing: "runtime→open" is measured from here.
var mainTimestamp = Stopwatch.GetTimestamp();

// The measured child skips building the command-line parser, whose JIT cost would otherwise be
// counted as part of opening the store. The hidden command below accepts the same arguments.
if (args is [LoadChild.CommandName, "--dir", var childDir])
    return await LoadChild.RunAsync(mainTimestamp, childDir);

return await Cli.Build(mainTimestamp).Parse(args).InvokeAsync();

namespace Cabal.Perf
{
    internal static class Cli
    {
        public static RootCommand Build(long mainTimestamp)
        {
            var d = new LoadOptions
            {
                OutDir = Path.Combine(RepoPaths.PerfDir, "out"),
                CacheDir = Path.Combine(RepoPaths.PerfDir, "cache"),
                InteropDir = RepoPaths.DefaultInterop,
            };

            var feeds = new Option<int>("--feeds") { Description = "Feeds (simulated users) in the store, when --sizes is not given.", DefaultValueFactory = _ => d.Feeds };
            var messages = new Option<int>("--messages") { Description = "chat/text messages per feed.", DefaultValueFactory = _ => d.Messages };
            var runs = new Option<int>("--runs") { Description = "Measured C# processes per size (median reported).", DefaultValueFactory = _ => d.Runs };
            var jsRuns = new Option<int>("--js-runs") { Description = "Measured JS processes per size.", DefaultValueFactory = _ => d.JsRuns };
            var sizes = new Option<int[]>("--sizes")
            {
                Description = "Comma-separated feed counts for a sweep, e.g. 100,320,1000,3000,10000 (overrides --feeds).",
                CustomParser = ParseSizes,
                DefaultValueFactory = _ => [],
            };
            var js = new Option<JsMode>("--js") { Description = "Measure the JS baseline: auto (if node is present), on (required) or off.", DefaultValueFactory = _ => d.Js };
            var jsTimeout = new Option<int>("--js-timeout") { Description = "Seconds one JS process (build or run) may take; longer is reported as \"did not finish\".", DefaultValueFactory = _ => d.JsTimeoutSeconds };
            var jsMax = new Option<int>("--js-max-feeds") { Description = "Larger JS sizes are not attempted.", DefaultValueFactory = _ => d.JsMaxFeeds };
            var childTimeout = new Option<int>("--child-timeout") { Description = "Seconds one C# child process may take.", DefaultValueFactory = _ => d.ChildTimeoutSeconds };
            var outDir = new Option<string>("--out") { Description = "Directory for the JSON results.", DefaultValueFactory = _ => d.OutDir };
            var cache = new Option<string>("--cache") { Description = "Directory for built stores and cabals, kept between runs.", DefaultValueFactory = _ => d.CacheDir };
            var interop = new Option<string>("--interop") { Description = "The JS interop harness (make-cabal.js, bench-load.js).", DefaultValueFactory = _ => d.InteropDir };
            var writeResults = new Option<bool>("--write-results") { Description = "Rewrite the load section of perf/RESULTS.md and perf/load.svg." };
            var rebuild = new Option<bool>("--rebuild") { Description = "Rebuild cached stores and cabals." };
            var r2r = new Option<bool>("--ready-to-run") { Description = "Run the measured C# children from a ReadyToRun publish, as a release build ships (default true).", DefaultValueFactory = _ => d.ReadyToRun };

            var load = new Command("load", "Time opening a store of N feeds in fresh processes, next to the JS stack.")
            {
                feeds, messages, runs, jsRuns, sizes, js, jsTimeout, jsMax, childTimeout, outDir, cache, interop, writeResults, rebuild, r2r,
            };
            foreach (var opt in new[] { feeds, messages, runs, jsRuns, jsTimeout, childTimeout })
                opt.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{opt.Name} must be at least 1."); });
            load.SetAction((r, ct) =>
            {
                var options = d with
                {
                    Feeds = r.GetValue(feeds),
                    Messages = r.GetValue(messages),
                    Runs = r.GetValue(runs),
                    JsRuns = r.GetValue(jsRuns),
                    Sizes = r.GetValue(sizes) ?? [],
                    Js = r.GetValue(js),
                    JsTimeoutSeconds = r.GetValue(jsTimeout),
                    JsMaxFeeds = r.GetValue(jsMax),
                    ChildTimeoutSeconds = r.GetValue(childTimeout),
                    OutDir = Path.GetFullPath(r.GetValue(outDir) ?? d.OutDir),
                    CacheDir = Path.GetFullPath(r.GetValue(cache) ?? d.CacheDir),
                    InteropDir = Path.GetFullPath(r.GetValue(interop) ?? d.InteropDir),
                    WriteResults = r.GetValue(writeResults),
                    Rebuild = r.GetValue(rebuild),
                    ReadyToRun = r.GetValue(r2r),
                };
                return LoadScenario.RunAsync(options, CommandLineOf(r), ct);
            });

            var dir = new Option<string>("--dir") { Description = "The store to open.", Required = true };
            var child = new Command(LoadChild.CommandName, "One measured open (started by `load`).") { dir };
            child.Hidden = true;
            child.SetAction((r, _) => LoadChild.RunAsync(mainTimestamp, r.GetValue(dir)!));

            var from = new Option<string>("--from") { Description = "A JSON report written by `load` (e.g. perf/out/load-latest.json).", Required = true };
            var render = new Command("render", "Rewrite the load section of perf/RESULTS.md and perf/load.svg from a saved report, without measuring.") { from };
            render.SetAction((r, ct) => LoadScenario.RenderAsync(Path.GetFullPath(r.GetValue(from)!), ct));

            return new RootCommand("Cabal performance harness.") { load, render, child, SyncScenario.BuildCommand(), JoinScenario.BuildCommand(), JoinScenario.BuildJoinerCommand(), MixedSyncScenario.BuildCommand(), FirstFrameScenario.BuildCommand(), UdxScenario.BuildCommand(), UdxPeer.BuildCommand(), DhtScenario.BuildCommand(), DhtPeer.BuildCommand(), SwarmScenario.BuildCommand(), ImportScenario.BuildCommand(), EmptyFeedsScenario.BuildCommand(), FloodScenario.BuildCommand(), FloodScenario.BuildAttackCommand() };
        }

        private static int[] ParseSizes(System.CommandLine.Parsing.ArgumentResult r)
        {
            var sizes = new List<int>();
            foreach (var part in r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0) sizes.Add(n);
                else r.AddError($"--sizes: '{part}' is not a positive whole number.");
            }
            return [.. sizes];
        }

        private static string CommandLineOf(ParseResult r)
            => string.Join(' ', r.Tokens.Select(t => t.Value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '$') ? "'" + t.Value.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : t.Value));
    }
}
