// `perf swarm`: how long a reader given only a cabal key and a loopback bootstrap takes, from process
// start, to receive the first message of a peer it found through the DHT; C# beside JS in one run.
//   * the testnet: `dht-testnet.js` (5 JS HyperDHT nodes), or with --testnet dht-node 5 `cabal dht-node`
//     processes (the first with --bootstrap none); everything binds 127.0.0.1;
//   * seeders, each on its own new cabal holding one chat/text message, joined to the cabal's topic:
//     JS `cabal-peer.js --swarm --say …`, C# `cabal seed KEY --bootstrap … --no-lan` (after `cabal new`
//     and `cabal send`);
//   * readers, each a fresh process with fresh storage and a fresh DHT key pair: JS `cabal-peer.js --swarm
//     --key K --expect 1` (time to its first `message` event, i.e. indexed by every cabal-core view),
//     C# `cabal read K --bootstrap … --no-lan --join --json` (time to its first printed message, i.e.
//     in sync and indexed). Timed from Process.Start in this harness to the line arriving here.
//   * every `cabal` process (reader, seeder, dht-node testnet) is the --build chosen: by default the
//     Native AOT executable, as the program ships (see MeasuredCabal, AotBuild).
// Run 0 of every pair is a warm-up (page cache, the seeders' announcements) and is not counted; the
// pairs are interleaved run by run so machine noise falls on both stacks alike. Medians are reported;
// raw figures in perf/out/swarm-latest.json.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cabal.Perf;

internal static class SwarmScenario
{
    public const string Begin = "<!-- swarm:begin -->";
    public const string End = "<!-- swarm:end -->";

    internal sealed record Pair(string Reader, string Seeder, double[] Ms, int Failed, string? Error)
    {
        public double? Median => DhtScenario.Stats(Ms).Median;
    }

    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);

    public static Command BuildCommand()
    {
        var runs = new Option<int>("--runs") { Description = "Measured reader starts per reader and seeder (median reported; one more warms up).", DefaultValueFactory = _ => 5 };
        var testnet = new Option<string>("--testnet") { Description = "js: dht-testnet.js; dht-node: `cabal dht-node` processes only.", DefaultValueFactory = _ => "js" };
        testnet.AcceptOnlyFromAmong("js", "dht-node");
        var readTimeout = new Option<int>("--read-timeout") { Description = "Seconds one reader may take.", DefaultValueFactory = _ => 60 };
        var outOption = new Option<string>("--out") { Description = "Directory for the JSON results.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "out") };
        var interop = new Option<string>("--interop") { Description = "The JS interop harness (dht-testnet.js, cabal-peer.js).", DefaultValueFactory = _ => RepoPaths.DefaultInterop };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the swarm section of perf/RESULTS.md." };
        var build = MeasuredCabal.BuildOption();
        var cache = new Option<string>("--cache") { Description = "Where the published builds are kept.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "cache") };
        var cmd = new Command("swarm", "Process start to the first message from a peer found through the DHT, C# `cabal read` beside JS cabal-peer, on a loopback testnet.")
        {
            runs, testnet, readTimeout, outOption, interop, write, build, cache,
        };
        foreach (var opt in new[] { runs, readTimeout })
            opt.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{opt.Name} must be at least 1."); });
        cmd.SetAction(async (r, ct) =>
        {
            var started = DateTimeOffset.Now;
            var loadStart = Machine.LoadAverage();
            var (program, buildNote) = await MeasuredCabal.ResolveAsync(r.GetValue(build)!, Path.GetFullPath(r.GetValue(cache)!), ct).ConfigureAwait(false);
            if (buildNote is not null) Console.Error.WriteLine("perf swarm: " + buildNote);
            var setup = new Setup(Path.GetFullPath(r.GetValue(interop)!), program, r.GetValue(testnet)!, TimeSpan.FromSeconds(r.GetValue(readTimeout)));
            var (pairs, csNote) = await MeasureAsync(setup, r.GetValue(runs), ct).ConfigureAwait(false);
            var loadEnd = Machine.LoadAverage();
            var outDir = r.GetValue(outOption)!;
            Directory.CreateDirectory(outDir);
            await File.WriteAllTextAsync(Path.Combine(outDir, "swarm-latest.json"),
                JsonSerializer.Serialize(new { scenario = "swarm", started, runs = r.GetValue(runs), testnet = setup.Testnet, build = program.Build, buildNote, machine = Machine.Describe(null), loadStart, loadEnd, csNote, pairs }), ct).ConfigureAwait(false);
            foreach (var p in pairs)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Reader,-3} reader ← {p.Seeder,-3} seeder: median {Ms(p.Median),8} ms over {p.Ms.Length} runs, {p.Failed} failed"));
            if (csNote is not null) Console.WriteLine("C#: " + csNote);
            var section = Render(pairs, csNote, r.GetValue(runs), setup.Testnet, program, buildNote, started, loadStart, loadEnd, string.Join(' ', r.Tokens.Select(t => t.Value).Where(v => v != "--write-results")));
            if (r.GetValue(write)) await ScenarioKit.ReplaceSectionAsync(Begin, End, section, ct).ConfigureAwait(false);
            // A C# half this build cannot run yet is reported, not a failure of the measurement.
            return pairs.All(p => p.Failed == 0 && (p.Error is null || p.Error == csNote)) ? 0 : 1;
        });
        return cmd;
    }

    private sealed record Setup(string Interop, MeasuredCabal Cabal, string Testnet, TimeSpan ReadTimeout)
    {
        public string CabalPeer => Path.Combine(Interop, "cabal-peer.js");
    }

    private sealed record Seeder(string Name, string Key);

    private static async Task<(List<Pair>, string?)> MeasureAsync(Setup setup, int runs, CancellationToken ct)
    {
        await using var processes = new ProcessSet();
        var bootstrap = await StartTestnetAsync(setup, processes, ct).ConfigureAwait(false);
        if (!bootstrap.StartsWith("127.0.0.1:", StringComparison.Ordinal)) throw new InvalidOperationException("the testnet is not on loopback: " + bootstrap);
        var csNote = await CSharpSwarmMissingAsync(setup, ct).ConfigureAwait(false);
        using var scratch = new ScratchDirs();

        var seeders = new List<Seeder>();
        var js = processes.Add(PeerProcess.StartNode(setup.CabalPeer, setup.Interop, ["--swarm", "--bootstrap", bootstrap, "--say", "default:hello from a JS seeder", "--timeout", "3600"]));
        var jsKey = (await js.WaitForAsync("ready", StartLimit, ct).ConfigureAwait(false)).GetProperty("key").GetString()!;
        await js.WaitForAsync("swarm-joined", StartLimit, ct).ConfigureAwait(false);
        seeders.Add(new Seeder("JS", jsKey));
        if (csNote is null) seeders.Add(new Seeder("C#", await StartCSharpSeederAsync(setup, bootstrap, processes, scratch.New(), ct).ConfigureAwait(false)));

        var readers = csNote is null ? new[] { "JS", "C#" } : ["JS"];
        var times = seeders.SelectMany(s => readers.Select(r => (r, s))).ToDictionary(p => p, _ => new List<double>());
        var failed = times.Keys.ToDictionary(p => p, _ => 0);
        var errors = new Dictionary<(string, Seeder), string>();
        for (var run = 0; run <= runs; run++)
        {
            foreach (var (reader, seeder) in times.Keys)
            {
                var (ms, error) = await ReadOnceAsync(setup, reader, seeder, bootstrap, scratch.New(), ct).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {run}{(run == 0 ? " (warm-up)" : ""),-11} {reader,-3} ← {seeder.Name,-3}: {(ms is { } v ? $"{v,8:0} ms" : "failed: " + Short(error, 60))}"));
                if (run == 0) continue;
                if (ms is { } x) times[(reader, seeder)].Add(x);
                else
                {
                    failed[(reader, seeder)]++;
                    errors[(reader, seeder)] = Short(error, 200);
                }
            }
        }
        var pairs = times.Select(kv => new Pair(kv.Key.r, kv.Key.s.Name, [.. kv.Value], failed[kv.Key], errors.GetValueOrDefault(kv.Key))).ToList();
        if (csNote is not null) pairs.Add(new Pair("C#", "JS", [], 0, csNote));
        return (pairs, csNote);
    }

    /// <summary>One fresh reader; the milliseconds from its start to its first message, or why there were none.</summary>
    private static async Task<(double?, string?)> ReadOnceAsync(Setup setup, string reader, Seeder seeder, string bootstrap, string dataDir, CancellationToken ct)
    {
        var seconds = ((int)setup.ReadTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        await using var p = reader == "JS"
            ? PeerProcess.StartNode(setup.CabalPeer, setup.Interop, ["--swarm", "--bootstrap", bootstrap, "--key", seeder.Key, "--expect", "1", "--linger", "0", "--timeout", seconds])
            : PeerProcess.StartCabal(setup.Cabal, ["read", seeder.Key, "--data", dataDir, "--bootstrap", bootstrap, "--no-lan", "--join", "--json", "--timeout", seconds]);
        try
        {
            // JS: a `message` event from another feed; C#: a printed message (read --json prints only messages).
            await p.WaitForAsync(e => reader == "JS"
                ? e.TryGetProperty("event", out var ev) && ev.GetString() == "message" && !e.GetProperty("local").GetBoolean()
                : e.TryGetProperty("content", out _), "a message", setup.ReadTimeout + TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            var ms = clock.Elapsed.TotalMilliseconds;
            // Let it leave the topic (unannounce) as a user's process would, so later lookups stay clean.
            try { await p.WaitForExitAsync(TimeSpan.FromSeconds(20), ct).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            return (ms, null);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            return (null, e.Message);
        }
    }

    private static async Task<string> StartTestnetAsync(Setup setup, ProcessSet processes, CancellationToken ct)
    {
        if (setup.Testnet == "js")
        {
            var testnet = processes.Add(PeerProcess.StartNode(Path.Combine(setup.Interop, "dht-testnet.js"), setup.Interop, ["--nodes", "5", "--timeout", "3600"]));
            return (await testnet.WaitForAsync("testnet", StartLimit, ct).ConfigureAwait(false)).GetProperty("bootstrap").GetString()!;
        }
        var first = processes.Add(PeerProcess.StartCabal(setup.Cabal, ["dht-node", "--bootstrap", "none", "--host", "127.0.0.1", "--port", "0", "--json"]));
        var bootstrap = "127.0.0.1:" + (await first.WaitForAsync("listening", StartLimit, ct).ConfigureAwait(false)).GetProperty("port").GetInt32().ToString(CultureInfo.InvariantCulture);
        var nodes = new List<PeerProcess> { first };
        for (var i = 1; i < 5; i++) nodes.Add(processes.Add(PeerProcess.StartCabal(setup.Cabal, ["dht-node", "--bootstrap", bootstrap, "--port", "0", "--json"])));
        foreach (var n in nodes) await n.WaitForAsync("bootstrapped", StartLimit, ct).ConfigureAwait(false);
        return bootstrap;
    }

    /// <summary>null when this build's `cabal read` and `cabal seed` take --bootstrap; else why the C# half cannot run.</summary>
    private static async Task<string?> CSharpSwarmMissingAsync(Setup setup, CancellationToken ct)
    {
        foreach (var command in new[] { "read", "seed" })
        {
            var help = await RunCabalAsync(setup, ct, command, "--help").ConfigureAwait(false);
            if (!help.Contains("--bootstrap", StringComparison.Ordinal))
                return $"this build's `cabal {command}` has no --bootstrap (the program is not on the swarm yet)";
        }
        return null;
    }

    private static async Task<string> StartCSharpSeederAsync(Setup setup, string bootstrap, ProcessSet processes, string dataDir, CancellationToken ct)
    {
        var url = await RunCabalAsync(setup, ct, "new", "--data", dataDir).ConfigureAwait(false);
        var key = url.Trim()["cabal://".Length..];
        await RunCabalAsync(setup, ct, "send", key, "--channel", "default", "--text", "hello from a C# seeder", "--data", dataDir).ConfigureAwait(false);
        var seed = processes.Add(PeerProcess.StartCabal(setup.Cabal, ["seed", key, "--data", dataDir, "--bootstrap", bootstrap, "--no-lan", "--json"]));
        await seed.WaitForAsync("seeding", StartLimit, ct).ConfigureAwait(false);
        return key;
    }

    /// <summary>`cabal ARGS…` to completion; its stdout.</summary>
    private static async Task<string> RunCabalAsync(Setup setup, CancellationToken ct, params string[] args)
    {
        var (file, all) = setup.Cabal.Command(args);
        var r = await ProcessRunner.RunAsync(file, all, TimeSpan.FromSeconds(60), ct, env: NoDht).ConfigureAwait(false);
        if (!r.Succeeded) throw new InvalidOperationException($"cabal {string.Join(' ', args)}: {r.Describe()}: {r.StderrTail}");
        return string.Join('\n', r.Stdout);
    }

    // Commands that would otherwise join the public DHT by default stay off it (see PeerProcess.StartCabal).
    private static readonly Dictionary<string, string> NoDht = new() { ["CABAL_NO_DHT"] = "1" };

    private static string Ms(double? v) => v is { } x ? x.ToString("0", CultureInfo.InvariantCulture) : "—";

    private static string Short(string? s, int max) => s is null ? "" : (s.Length > max ? s[..max] + "…" : s).ReplaceLineEndings(" ");

    internal static string Render(List<Pair> pairs, string? csNote, int runs, string testnet, MeasuredCabal program, string? buildNote, DateTimeOffset started, double[] loadStart, double[] loadEnd, string commandLine)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        ScenarioKit.AppendSectionHead(sb, "Swarm: process start to the first message from a peer found through the DHT, C# and JS", "swarm", "swarm", string.Create(inv, $"{commandLine}"), started, loadStart, loadEnd);
        sb.AppendLine((testnet == "js" ? "A testnet of 5 JS HyperDHT nodes (`dht-testnet.js`)" : "A network of 5 `cabal dht-node` processes (the first started with `--bootstrap none`)") +
                      " on 127.0.0.1. Each seeder holds a new cabal with one chat/text message and is on the cabal's topic " +
                      "(JS: `cabal-peer.js --swarm --say …`; C#: `cabal seed KEY --bootstrap … --no-lan` after `cabal new` and `cabal send`). " +
                      "Each reader is a fresh process with fresh storage and a fresh DHT key pair, given only the key and the loopback bootstrap " +
                      "(JS: `cabal-peer.js --swarm --key K --expect 1`, until its first `message` event from another feed, indexed by every cabal-core view; " +
                      "C#: `cabal read K --bootstrap … --no-lan --join --json`" +
                      ", until its first printed message, i.e. in sync and indexed). " +
                      string.Create(inv, $"Timed from starting the process to that line reaching the harness; {runs} runs per pair after one warm-up, pairs interleaved. ") +
                      $"Every `cabal` process (readers, seeder{(testnet == "js" ? "" : ", DHT nodes")}) is {program.Described}" +
                      (program.Build == "aot" ? $" (`{AotBuild.PublishCommand}`), as the program ships." : ".") +
                      (buildNote is null ? "" : $" ({buildNote}.)"));
        sb.AppendLine();
        sb.AppendLine("| reader ← seeder | median (ms) | min / max (ms) | runs | failed | note |");
        sb.AppendLine("|---|---:|---:|---:|---:|---|");
        foreach (var p in pairs)
        {
            var mm = p.Ms.Length == 0 ? "—" : string.Create(inv, $"{p.Ms.Min():0} / {p.Ms.Max():0}");
            sb.AppendLine(inv, $"| {p.Reader} ← {p.Seeder} | {Ms(p.Median)} | {mm} | {p.Ms.Length} | {p.Failed} | {p.Error ?? ""} |");
        }
        sb.AppendLine();
        var js = pairs.Where(p => p.Reader == "JS").Select(p => p.Median).OfType<double>().ToList();
        var cs = pairs.Where(p => p.Reader == "C#").Select(p => p.Median).OfType<double>().ToList();
        if (js.Count > 0 && cs.Count > 0)
        {
            var ratio = DhtScenario.Stats(js).Median!.Value / DhtScenario.Stats(cs).Median!.Value;
            sb.AppendLine(ratio >= 1
                ? string.Create(inv, $"The C# reader is {ratio:0.0}× faster than the JS reader (medians over seeders; goal: at least 3×).")
                : string.Create(inv, $"The C# reader is {1 / ratio:0.0}× slower than the JS reader (medians over seeders; goal: 3× faster)."));
        }
        else if (csNote is not null)
            sb.AppendLine("C# not measured: " + csNote + ".");
        sb.AppendLine();
        return sb.ToString();
    }

    /// <summary>Processes that live for the whole measurement (testnet, seeders), killed at the end.</summary>
    private sealed class ProcessSet : IAsyncDisposable
    {
        private readonly List<PeerProcess> _all = [];

        public PeerProcess Add(PeerProcess p)
        {
            _all.Add(p);
            return p;
        }

        public async ValueTask DisposeAsync()
        {
            for (var i = _all.Count - 1; i >= 0; i--) await _all[i].DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Temporary data directories, deleted at the end.</summary>
    private sealed class ScratchDirs : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "cabal-perf-swarm-" + Guid.NewGuid().ToString("N")[..8]);
        private int _n;

        public string New() => Path.Combine(_root, (++_n).ToString(CultureInfo.InvariantCulture));

        public void Dispose()
        {
            try { Directory.Delete(_root, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }
}
