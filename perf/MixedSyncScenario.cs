// `perf sync-mixed`: full replication of a cabal of F feeds × M messages to a fresh peer over TCP on
// 127.0.0.1 across the two stacks:
//   JS→C#: a real cabal-core peer serves the make-cabal.js cabal (the `load` scenario's JS cache); a
//          fresh C# client (FeedStore, replication, multifeed set, chat views) connects.
//   C#→JS: a C# peer serves F writers; a fresh in-memory cabal-core peer connects (`--expect`).
//   JS→JS: bench-load.js --replicate on the same cabal, measured in the same run for comparison.
// Times are from the TCP connect (C# client) or the JS peer's `connected` event (JS client):
// all feeds known, all blocks stored (C# only: cabal-peer does not report it), all indexed.
// The JS peer writes its events to a file (node's writes to files are synchronous), which we poll.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Net.Crypto;

namespace Cabal.Perf;

internal static class MixedSyncScenario
{
    public const string Begin = "<!-- sync-mixed:begin -->";
    public const string End = "<!-- sync-mixed:end -->";

    internal sealed record Result(string Direction, int Feeds, int Messages, double? FeedsKnownMs, double? AllStoredMs, double? IndexedMs, string? Error);

    public static Command BuildCommand()
    {
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated feed counts.", DefaultValueFactory = _ => "100,1000" };
        var messages = new Option<int>("--messages") { Description = "chat/text messages per feed.", DefaultValueFactory = _ => 20 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds one direction at one size may take.", DefaultValueFactory = _ => 300 };
        var outOption = new Option<string>("--out") { Description = "Directory for the JSON results.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "out") };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the sync-mixed section of perf/RESULTS.md." };
        var cmd = new Command("sync-mixed", "Full replication to a fresh peer across the stacks: JS→C# and C#→JS.") { sizes, messages, timeout, write, outOption };
        cmd.SetAction(async (r, ct) =>
        {
            var list = (r.GetValue(sizes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            var m = r.GetValue(messages);
            var limit = TimeSpan.FromSeconds(r.GetValue(timeout));
            var started = DateTimeOffset.Now;
            var results = new List<Result>();
            foreach (var f in list)
            {
                results.Add(await Bounded(() => JsToJsAsync(f, m, limit, ct), "JS→JS", f, m, limit).ConfigureAwait(false));
                Console.WriteLine(JsonSerializer.Serialize(results[^1]));
                results.Add(await Bounded(() => JsToCsAsync(f, m, ct), "JS→C#", f, m, limit).ConfigureAwait(false));
                Console.WriteLine(JsonSerializer.Serialize(results[^1]));
                results.Add(await Bounded(() => CsToJsAsync(f, m, limit, ct), "C#→JS", f, m, limit).ConfigureAwait(false));
                Console.WriteLine(JsonSerializer.Serialize(results[^1]));
            }
            var outDir = r.GetValue(outOption)!;
            Directory.CreateDirectory(outDir);
            await File.WriteAllTextAsync(Path.Combine(outDir, "sync-mixed-latest.json"), JsonSerializer.Serialize(new { scenario = "sync-mixed", started, machine = Machine.Describe(null), results }), ct).ConfigureAwait(false);
            if (r.GetValue(write))
            {
                await ScenarioKit.ReplaceSectionAsync(Begin, End, Render(results, started), ct).ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(RepoPaths.PerfDir, "sync.svg"), Plot(results), ct).ConfigureAwait(false);
            }
            return 0;
        });
        return cmd;
    }

    private static async Task<Result> Bounded(Func<Task<Result>> run, string direction, int f, int m, TimeSpan limit)
    {
        try { return await run().WaitAsync(limit).ConfigureAwait(false); }
        catch (TimeoutException) { return new Result(direction, f, m, null, null, null, $"did not finish in {limit.TotalSeconds:0} s"); }
        catch (Exception e) when (e is IOException or InvalidOperationException or SocketException) { return new Result(direction, f, m, null, null, null, e.Message); }
    }

    /// <summary>The JS stack against itself, measured now: bench-load.js --replicate on the same cached cabal.</summary>
    private static async Task<Result> JsToJsAsync(int feeds, int messages, TimeSpan limit, CancellationToken ct)
    {
        var cached = Path.Combine(RepoPaths.PerfDir, "cache", $"js-f{feeds}-m{messages}", "cabal");
        if (!File.Exists(Path.Combine(cached, "harness-meta.json")))
            return new Result("JS→JS", feeds, messages, null, null, null, $"no JS cabal cached; run `perf load --feeds {feeds} --messages {messages}` first");
        var root = Path.Combine(Path.GetTempPath(), "cabal-perf-mixed-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var js = JsProcess.Start(root, "bench-load.js", "--dir", cached, "--replicate", "--timeout", ((int)limit.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            var result = await js.WaitForAsync("result", limit, ct, e => e.TryGetProperty("mode", out var mode) && mode.GetString() == "replicate").ConfigureAwait(false);
            static double? Ms(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
            var fresh = result.GetProperty("fresh"); // the fresh peer's timings, from its TCP connect
            return new Result("JS→JS", feeds, messages, Ms(fresh, "allFeedsMs"), Ms(fresh, "allDownloadedMs"), Ms(fresh, "allIndexedMs"), null);
        }
        finally { TryDelete(root); }
    }

    private static async Task<Result> JsToCsAsync(int feeds, int messages, CancellationToken ct)
    {
        var cached = Path.Combine(RepoPaths.PerfDir, "cache", $"js-f{feeds}-m{messages}", "cabal");
        if (!File.Exists(Path.Combine(cached, "harness-meta.json")))
            return new Result("JS→C#", feeds, messages, null, null, null, $"no JS cabal cached; run `perf load --feeds {feeds} --messages {messages}` first");
        var root = Path.Combine(Path.GetTempPath(), "cabal-perf-mixed-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            ScenarioKit.CopyDirectory(cached, Path.Combine(root, "js")); // replication is two-way: serve a scratch copy
            await using var js = JsProcess.Start(root, "cabal-peer.js", "--storage", Path.Combine(root, "js"), "--listen", "0", "--timeout", "900");
            var port = (await js.WaitForAsync("listening", TimeSpan.FromMinutes(10), ct).ConfigureAwait(false)).GetProperty("port").GetInt32();
            var key = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(cached, "harness-meta.json"))).RootElement.GetProperty("key").GetString()!;
            var cabalKey = Convert.FromHexString(key);

            await using var store = FeedStore.Open(Path.Combine(root, "client"));
            await using var rep = new Replicator(store);
            await using var core = await CabalCore.OpenAsync(store, new CabalUrl(key), cancellationToken: ct).ConfigureAwait(false);
            await using var set = await MultifeedSet.OpenAsync(store, rep, cabalKey, cancellationToken: ct).ConfigureAwait(false);
            var sw = Stopwatch.StartNew();
            var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(IPAddress.Loopback, port, ct).ConfigureAwait(false);
            await using var session = set.Replicate(new ProtocolConnection(tcp.GetStream(), isInitiator: true));
            var expected = (ulong)feeds * (ulong)messages;
            // The writers and our own local feed; the JS peer's empty local feed is not stored (issue 20).
            var known = await ScenarioKit.WhenAsync(sw, () => set.Count >= feeds + 1, ct).ConfigureAwait(false);
            var stored = await ScenarioKit.WhenAsync(sw, () => set.Feeds.Where(f => !f.Writable).Aggregate(0UL, (n, f) => n + f.Contiguous) >= expected, ct).ConfigureAwait(false);
            var indexed = await ScenarioKit.WhenAsync(sw, () => core.Statistics.EntriesIndexed >= (long)expected, ct).ConfigureAwait(false);
            return new Result("JS→C#", feeds, messages, known, stored, indexed, null);
        }
        finally { TryDelete(root); }
    }

    private static async Task<Result> CsToJsAsync(int feeds, int messages, TimeSpan limit, CancellationToken ct)
    {
        var root = Path.Combine(Path.GetTempPath(), "cabal-perf-mixed-" + Guid.NewGuid().ToString("N")[..8]);
        var cabalKey = Ed25519.NewKeyPair().PublicKey;
        try
        {
            await using var store = FeedStore.Open(Path.Combine(root, "src"), new FeedStoreOptions { Durable = false });
            await using var rep = new Replicator(store);
            await using var set = await MultifeedSet.OpenAsync(store, rep, cabalKey, cancellationToken: ct).ConfigureAwait(false);
            var writers = await Task.WhenAll(Enumerable.Range(0, feeds).Select(i => store.CreateWritableAsync(name: "u" + i, group: cabalKey, cancellationToken: ct))).ConfigureAwait(false);
            for (var m = 0; m < messages; m++)
            {
                var mm = m;
                await Task.WhenAll(writers.Select((w, i) => w.AppendAsync(ScenarioKit.Message(i, mm), ct))).ConfigureAwait(false);
            }
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var sessions = new List<MultifeedSession>();
            var accepting = Task.Run(async () =>
            {
                while (!ct.IsCancellationRequested)
                {
                    var c = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
                    c.NoDelay = true;
                    lock (sessions) sessions.Add(set.Replicate(new ProtocolConnection(c.GetStream(), isInitiator: false)));
                }
            }, ct);
            try
            {
                await using var js = JsProcess.Start(root, "cabal-peer.js", "--connect", $"127.0.0.1:{port}", "--key", Convert.ToHexStringLower(cabalKey),
                    "--expect", (feeds * messages).ToString(CultureInfo.InvariantCulture), "--linger", "0", "--timeout", ((int)limit.TotalSeconds).ToString(CultureInfo.InvariantCulture));
                var connected = (await js.WaitForAsync("connected", TimeSpan.FromMinutes(2), ct).ConfigureAwait(false)).GetProperty("t").GetDouble();
                var met = (await js.WaitForAsync("expect-met", limit, ct).ConfigureAwait(false)).GetProperty("t").GetDouble();
                var feedEvents = js.Events.Where(e => e.TryGetProperty("event", out var ev) && ev.GetString() == "feed").Select(e => e.GetProperty("t").GetDouble()).ToList();
                double? known = feedEvents.Count >= feeds + 2 ? feedEvents[feeds + 1] - connected : null;
                return new Result("C#→JS", feeds, messages, known, null, met - connected, null);
            }
            finally
            {
                listener.Stop();
                List<MultifeedSession> open;
                lock (sessions) open = [.. sessions];
                foreach (var s in open) await s.DisposeAsync().ConfigureAwait(false);
                try { await accepting.ConfigureAwait(false); } catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
            }
        }
        finally { TryDelete(root); }
    }

    /// <summary>cabal-peer.js with its events going to a file we poll; killed on dispose.</summary>
    private sealed class JsProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _events;
        private readonly List<JsonElement> _seen = [];
        private long _offset;

        private JsProcess(Process p, string events) { _process = p; _events = events; }

        public IReadOnlyList<JsonElement> Events => _seen;

        public static JsProcess Start(string root, string script, params string[] args)
        {
            var events = Path.Combine(root, "js-events-" + Guid.NewGuid().ToString("N")[..6] + ".jsonl");
            var psi = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardInput = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("ulimit -n 65536 2>/dev/null; out=\"$1\"; shift; exec node \"$@\" >\"$out\" 2>\"$out.err\"");
            psi.ArgumentList.Add("bash");
            psi.ArgumentList.Add(events);
            psi.ArgumentList.Add(Path.Combine(RepoPaths.DefaultInterop, script));
            psi.WorkingDirectory = RepoPaths.DefaultInterop;
            foreach (var a in args) psi.ArgumentList.Add(a);
            Directory.CreateDirectory(root);
            return new JsProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start node"), events);
        }

        public async Task<JsonElement> WaitForAsync(string name, TimeSpan timeout, CancellationToken ct, Func<JsonElement, bool>? match = null)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                Poll();
                foreach (var e in _seen)
                    if (e.TryGetProperty("event", out var ev) && ev.GetString() == name && (match is null || match(e))) return e;
                if (deadline.Elapsed > timeout) throw new TimeoutException($"cabal-peer.js sent no '{name}' within {timeout.TotalSeconds:0} s");
                if (_process.HasExited)
                {
                    Poll();
                    foreach (var e in _seen)
                        if (e.TryGetProperty("event", out var ev) && ev.GetString() == name && (match is null || match(e))) return e;
                    throw new InvalidOperationException($"node exited ({_process.ExitCode}) before '{name}'");
                }
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
        }

        private void Poll()
        {
            if (!File.Exists(_events)) return;
            using var fs = new FileStream(_events, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            fs.Seek(_offset, SeekOrigin.Begin);
            var buffer = new byte[fs.Length - _offset];
            var n = fs.Read(buffer);
            var last = Array.LastIndexOf(buffer, (byte)'\n', n - 1 < 0 ? 0 : n - 1);
            if (n == 0 || last < 0) return;
            foreach (var line in Encoding.UTF8.GetString(buffer, 0, last).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                try { _seen.Add(JsonDocument.Parse(line).RootElement.Clone()); } catch (JsonException) { }
            }
            _offset += last + 1;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try { await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
            }
            _process.Dispose();
        }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string Plot(List<Result> results)
    {
        LogLogChart.Series Line(string direction, string color, bool dashed, Func<Result, double?> pick, string what)
            => new($"{direction} {what}", color, dashed, results.Where(r => r.Direction == direction && pick(r) is > 0).Select(r => ((double)r.Feeds, pick(r)!.Value)).ToList());
        return LogLogChart.Render($"Full replication to a fresh peer, F feeds × {results.FirstOrDefault()?.Messages ?? 0} messages (log-log)", "feeds (F)",
        [
            Line("JS→JS", "#d9730d", false, r => r.IndexedMs, "all indexed"),
            Line("JS→JS", "#d9730d", true, r => r.AllStoredMs, "all stored"),
            Line("JS→C#", "#1f5fbf", false, r => r.IndexedMs, "all indexed"),
            Line("JS→C#", "#1f5fbf", true, r => r.AllStoredMs, "all stored"),
            Line("C#→JS", "#2e7d32", false, r => r.IndexedMs, "all indexed"),
        ]);
    }

    private static string Render(List<Result> results, DateTimeOffset started)
    {
        var inv = CultureInfo.InvariantCulture;
        static string S(double? ms) => ms is not { } v ? "—" : v >= 1000 ? (v / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s" : v.ToString("0", CultureInfo.InvariantCulture) + " ms";
        var sb = new StringBuilder();
        sb.AppendLine("## Mixed sync: full replication to a fresh peer across the stacks");
        sb.AppendLine();
        sb.AppendLine("_Generated by `perf sync-mixed --write-results`; edits between the sync-mixed markers are overwritten._");
        sb.AppendLine();
        sb.AppendLine(inv, $"Measured {started:yyyy-MM-dd HH:mm zzz}, load average now {string.Join(" / ", Machine.LoadAverage())}. JS→C#: cabal-core serves the make-cabal.js cabal, a fresh C# client (store, replication, multifeed set, chat views) connects; times from the TCP connect. C#→JS: a C# peer serves F writers, a fresh in-memory cabal-core peer connects with `--expect F×M`; times from its `connected` event; cabal-peer.js does not report when blocks are stored, only when every view indexed them. JS→JS figures are the anchor's (../shared/interop/ANCHOR-RESULTS.md).");
        sb.AppendLine();
        sb.AppendLine("![Full replication to a fresh peer across the stacks, log-log](sync.svg)");
        sb.AppendLine();
        sb.AppendLine("| direction | F (feeds) | all feeds known | all blocks stored | all indexed | indexed ÷ JS→JS | note |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var js = results.FirstOrDefault(x => x.Direction == "JS→JS" && x.Feeds == r.Feeds)?.IndexedMs;
            var ratio = r.Direction != "JS→JS" && js is > 0 && r.IndexedMs is { } v ? (v / js.Value).ToString("0.00", inv) : "";
            sb.AppendLine(inv, $"| {r.Direction} | {r.Feeds:N0} | {S(r.FeedsKnownMs)} | {S(r.AllStoredMs)} | {S(r.IndexedMs)} | {ratio} | {r.Error ?? ""} |");
        }
        return sb.ToString();
    }

}
