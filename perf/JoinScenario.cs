// `perf join`: a peer holding F feeds joins a running client. The client is what the terminal client
// runs (a FeedStore, replication, the multifeed set and the chat views) plus a stand-in UI thread: a
// dedicated thread that ticks every millisecond and, like the Terminal.Gui loop, drains the chat
// events in bounded batches. Measured from the TCP connect:
//   negotiation     – the client's set holds all F+2 feeds
//   channels open   – every agreed feed's channel is open both ways
//   full sync       – every block stored on the client; indexed – every message in the views
//   UI stall        – the longest gap between two UI ticks beyond the 1 ms tick, and the 99th percentile
// The client also runs what the terminal client runs beside its UI: Server GC (the same runtimeconfig
// as `cabal`) and the UiLatencyGuard (paced collections, background-priority worker threads).
// The joining peer runs in a child process, at nice 19 by default (--joiner-nice): a real one runs on
// another machine, so it should never take the CPU from the client's UI thread (it shares what is left
// with the client's workers, which the guard also puts at nice 19); --joiner-nice 0 makes it compete
// as an equal program would. The join section of perf/RESULTS.md is rewritten with --write-results.
// Diagnostics: --profile (allocations by type, longest collections); environment variables
// CABAL_PERF_NO_PACER=1 / CABAL_PERF_NO_NICE=1 (run without either half of the guard),
// CABAL_PERF_PACER_MB=gen0,gen1 (other pacer budgets), CABAL_PERF_LATE_TICKS=N (late ticks to print) and
// CABAL_PERF_HOLD_SECONDS=N (wait after the sync, for a heap snapshot); with --profile,
// CABAL_PERF_GC_TIMELINE_MS=N lists every collection in the first N ms of the join.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime;
using System.Text;
using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Net.Crypto;

namespace Cabal.Perf;

internal static class JoinScenario
{
    public const string Begin = "<!-- join:begin -->";
    public const string End = "<!-- join:end -->";

    internal sealed record Result(int Feeds, int Messages, double NegotiationMs, double ChannelsOpenMs, double FullSyncMs, double IndexedMs,
        double MaxStallMs, double P99StallMs, long UiTicks, long UiEvents, long PeakRssMb, double GcPauseMs, int Gen0, int Gen1, int Gen2);

    public static Command BuildCommand()
    {
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated feed counts (default: --feeds).", DefaultValueFactory = _ => "" };
        var feeds = new Option<int>("--feeds") { Description = "Feeds the joining peer holds.", DefaultValueFactory = _ => 1000 };
        var messages = new Option<int>("--messages") { Description = "chat/text messages per feed.", DefaultValueFactory = _ => 20 };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the join section of perf/RESULTS.md." };
        var outDir = new Option<string>("--out") { Description = "Directory for the JSON results.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "out") };
        var profile = new Option<bool>("--profile") { Description = "Print the client's sampled allocations by type and its longest collections." };
        var joinerNice = new Option<int>("--joiner-nice")
        {
            Description = "Nice value of the joining peer's process. A real joining peer runs on another machine; at 19 the stand-in only gets the CPU the client leaves idle. 0 makes it compete as an equal program would.",
            DefaultValueFactory = _ => 19,
        };
        var cmd = new Command("join", "Time a peer with F feeds joining a running client, and the client's longest UI-thread stall.") { sizes, feeds, messages, write, outDir, profile, joinerNice };
        cmd.SetAction(async (r, ct) =>
        {
            var list = (r.GetValue(sizes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            if (list.Count == 0) list.Add(r.GetValue(feeds));
            var m = r.GetValue(messages);
            // What the terminal client does: background GCs instead of blocking gen2 collections.
            GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
            var started = DateTimeOffset.Now;
            var loadStart = Machine.LoadAverage();
            // Both made here, before any thread is at background priority: Linux threads inherit the
            // nice value of the thread that creates them, and these two must run at normal priority.
            using var ui = new StandInUiThread();
            using var guard = new Cabal.Cli.Tui.UiLatencyGuard(Environment.GetEnvironmentVariable("CABAL_PERF_NO_PACER") == "1" ? null : Pacer(),
                lowerWorkerPriority: Environment.GetEnvironmentVariable("CABAL_PERF_NO_NICE") != "1").Start();
            await RunAsync(20, 2, r.GetValue(joinerNice), ui, null, ct).ConfigureAwait(false); // warm-up, untimed
            var results = new List<Result>();
            Console.WriteLine("| feeds | negotiation | channels open | full sync | indexed | max UI stall | p99 UI stall |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var f in list)
            {
                using var sampler = r.GetValue(profile) ? new AllocationSampler() : null;
                guard.Pacer?.ResetDiagnostics();
                var res = await RunAsync(f, m, r.GetValue(joinerNice), ui, sampler, ct).ConfigureAwait(false);
                if (guard.Pacer is { } pacer) Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"join F={f}: longest time between pacer ticks {pacer.LongestTickGap.TotalMilliseconds:0.0} ms, longest induced collection {pacer.LongestCollect.TotalMilliseconds:0.0} ms"));
                if (sampler is not null) Console.Error.WriteLine(sampler.Report(25));
                results.Add(res);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {res.Feeds} | {res.NegotiationMs:0} ms | {res.ChannelsOpenMs:0} ms | {res.FullSyncMs:0} ms | {res.IndexedMs:0} ms | {res.MaxStallMs:0.0} ms | {res.P99StallMs:0.0} ms | GC {res.GcPauseMs:0} ms ({res.Gen0}/{res.Gen1}/{res.Gen2}) |"));
            }
            var dir = r.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            var json = JsonSerializer.Serialize(new { scenario = "join", started, machine = Machine.Describe(null), results });
            await File.WriteAllTextAsync(Path.Combine(dir, "join-latest.json"), json, ct).ConfigureAwait(false);
            if (r.GetValue(write))
                await ScenarioKit.ReplaceSectionAsync(Begin, End, Render(results, started, loadStart, Machine.LoadAverage(), r.GetValue(joinerNice)), ct).ConfigureAwait(false);
            return 0;
        });
        return cmd;
    }

    public const string JoinerCommand = "join-source";

    /// <summary>The hidden child: builds F writers × M messages of the cabal, listens on 127.0.0.1 and prints the port.</summary>
    public static Command BuildJoinerCommand()
    {
        var feeds = new Option<int>("--feeds") { Required = true };
        var messages = new Option<int>("--messages") { Required = true };
        var key = new Option<string>("--cabal") { Required = true };
        var dir = new Option<string>("--dir") { Required = true };
        var cmd = new Command(JoinerCommand, "(internal) the joining peer of `join`") { feeds, messages, key, dir };
        cmd.Hidden = true;
        cmd.SetAction(async (r, ct) =>
        {
            var cabalKey = Convert.FromHexString(r.GetValue(key)!);
            var n = r.GetValue(feeds);
            await using var store = FeedStore.Open(r.GetValue(dir)!, new FeedStoreOptions { Durable = false });
            await using var rep = new Replicator(store);
            await using var set = await MultifeedSet.OpenAsync(store, rep, cabalKey, cancellationToken: ct).ConfigureAwait(false);
            var writers = await Task.WhenAll(Enumerable.Range(0, n).Select(i => store.CreateWritableAsync(name: "u" + i, group: cabalKey, cancellationToken: ct))).ConfigureAwait(false);
            for (var m = 0; m < r.GetValue(messages); m++)
            {
                var mm = m;
                await Task.WhenAll(writers.Select((w, i) => w.AppendAsync(ScenarioKit.Message(i, mm), ct))).ConfigureAwait(false);
            }
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Console.WriteLine(((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture));
            var sessions = new List<MultifeedSession>();
            try
            {
                // Serve until the parent closes our stdin (or kills us).
                var stdinClosed = Task.Run(() => Console.In.ReadToEnd(), ct);
                while (!stdinClosed.IsCompleted)
                {
                    var accept = listener.AcceptTcpClientAsync(ct).AsTask();
                    if (await Task.WhenAny(accept, stdinClosed).ConfigureAwait(false) != accept) break;
                    var c = await accept.ConfigureAwait(false);
                    c.NoDelay = true;
                    sessions.Add(set.Replicate(new ProtocolConnection(c.GetStream(), isInitiator: false)));
                }
            }
            finally
            {
                listener.Stop();
                foreach (var session in sessions) await session.DisposeAsync().ConfigureAwait(false);
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The joining peer's process; killed on dispose.</summary>
    private sealed class JoinerProcess(Process process) : IAsyncDisposable
    {
        public static JoinerProcess Start(int feeds, int messages, byte[] cabalKey, string dir, int nice)
        {
            var psi = new ProcessStartInfo(nice == 0 ? "dotnet" : "nice") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true };
            if (nice != 0) { psi.ArgumentList.Add("-n"); psi.ArgumentList.Add(nice.ToString(CultureInfo.InvariantCulture)); psi.ArgumentList.Add("dotnet"); }
            foreach (var a in new[] { "exec", typeof(JoinScenario).Assembly.Location, JoinerCommand, "--feeds", feeds.ToString(CultureInfo.InvariantCulture),
                         "--messages", messages.ToString(CultureInfo.InvariantCulture), "--cabal", Convert.ToHexStringLower(cabalKey), "--dir", dir })
                psi.ArgumentList.Add(a);
            return new JoinerProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start the joining peer"));
        }

        public async Task<int> PortAsync(TimeSpan timeout, CancellationToken ct)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            var line = await process.StandardOutput.ReadLineAsync(cts.Token).ConfigureAwait(false);
            return int.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port)
                ? port
                : throw new InvalidOperationException($"the joining peer printed '{line}' instead of its port");
        }

        public async ValueTask DisposeAsync()
        {
            try { process.StandardInput.Close(); } catch (IOException) { }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
            process.Dispose();
        }
    }

    internal static async Task<Result> RunAsync(int feeds, int messages, int joinerNice, StandInUiThread ui, AllocationSampler? sampler, CancellationToken ct)
    {
        var root = Path.Combine(Path.GetTempPath(), "cabal-perf-join-" + Guid.NewGuid().ToString("N")[..8]);
        var cabalKey = Ed25519.NewKeyPair().PublicKey;
        var url = new CabalUrl(Convert.ToHexStringLower(cabalKey));
        try
        {
            // The joining peer runs in its own process (as it would on its own machine), so its CPU
            // still competes for this machine's cores but its garbage collections do not pause the client.
            await using var joiner = JoinerProcess.Start(feeds, messages, cabalKey, Path.Combine(root, "src"), joinerNice);
            var port = await joiner.PortAsync(TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);

            // The running client.
            await using var store = FeedStore.Open(Path.Combine(root, "client"));
            await using var rep = new Replicator(store);
            await using var core = await CabalCore.OpenAsync(store, url, cancellationToken: ct).ConfigureAwait(false);
            await using var set = await MultifeedSet.OpenAsync(store, rep, cabalKey, cancellationToken: ct).ConfigureAwait(false);
            using var events = core.Subscribe();
            ui.Attach(events);
            await Task.Delay(200, ct).ConfigureAwait(false);
            ui.ResetStats();
            sampler?.Start();

            var pause0 = GC.GetTotalPauseDuration();
            var allocated0 = GC.GetTotalAllocatedBytes();
            var (g0, g1, g2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var sw = Stopwatch.StartNew();
            var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(IPAddress.Loopback, port, ct).ConfigureAwait(false);
            await using var a = set.Replicate(new ProtocolConnection(tcp.GetStream(), isInitiator: true));
            var total = feeds + 1; // the writers and our local feed: the joiner's empty local feed is not stored (issue 20)
            var negotiation = await ScenarioKit.WhenAsync(sw, () => set.Count >= total, ct).ConfigureAwait(false);
            var open = await ScenarioKit.WhenAsync(sw, () => a.OpenChannelCount >= feeds, ct).ConfigureAwait(false);
            var expected = (ulong)feeds * (ulong)messages;
            // One snapshot of the (now complete) set: copying 10,000 feeds on every poll would be the
            // harness's garbage, counted against the client's collections.
            var remote = set.Feeds.Where(f => !f.Writable).ToArray();
            var full = await ScenarioKit.WhenAsync(sw, () => Held(remote) >= expected, ct).ConfigureAwait(false);
            var indexed = await ScenarioKit.WhenAsync(sw, () => core.Statistics.EntriesIndexed >= (long)expected, ct).ConfigureAwait(false);
            await Task.Delay(200, ct).ConfigureAwait(false);
            if (int.TryParse(Environment.GetEnvironmentVariable("CABAL_PERF_HOLD_SECONDS"), out var hold))
            {
                // For a heap snapshot of the joined client (dotnet-gcdump collect -p PID).
                Console.Error.WriteLine($"join: holding {hold} s, pid {Environment.ProcessId}, heap {GC.GetTotalMemory(true) / 1048576.0:0} MB");
                await Task.Delay(TimeSpan.FromSeconds(hold), ct).ConfigureAwait(false);
            }
            var (max, p99, ticks, drained) = ui.Collect();
            ui.Attach(null);
            foreach (var (gap, gcMs, gc) in ui.LongTicks.OrderByDescending(t => t.Gap).Take(int.TryParse(Environment.GetEnvironmentVariable("CABAL_PERF_LATE_TICKS"), out var n) ? n : 8))
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  late UI tick {gap:0.0} ms, of which GC pause {gcMs:0.0} ms; {gc}"));
            var gcPause = (GC.GetTotalPauseDuration() - pause0).TotalMilliseconds;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"join F={feeds}: client allocated {(GC.GetTotalAllocatedBytes() - allocated0) / 1048576.0:0} MB ({(GC.GetTotalAllocatedBytes() - allocated0) / Math.Max(1.0, expected):0} bytes per block)"));
            (g0, g1, g2) = (GC.CollectionCount(0) - g0, GC.CollectionCount(1) - g1, GC.CollectionCount(2) - g2);
            return new Result(feeds, messages, negotiation, open, full, indexed, max, p99, ticks, drained, ScenarioKit.PeakRssMb(), gcPause, g0, g1, g2);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static Cabal.Cli.Tui.GcPacer Pacer()
    {
        var mb = (Environment.GetEnvironmentVariable("CABAL_PERF_PACER_MB") ?? "").Split(',');
        return mb.Length == 2
            ? new Cabal.Cli.Tui.GcPacer { Gen0Budget = (long)(double.Parse(mb[0], CultureInfo.InvariantCulture) * 1048576), Gen1Budget = (long)(double.Parse(mb[1], CultureInfo.InvariantCulture) * 1048576) }
            : new Cabal.Cli.Tui.GcPacer();
    }

    private static ulong Held(Feed[] remote)
    {
        ulong n = 0;
        foreach (var f in remote) n += f.Contiguous;
        return n;
    }

    private static string Render(List<Result> results, DateTimeOffset started, double[] loadStart, double[] loadEnd, int joinerNice)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## Join: a peer with F feeds joins a running client");
        sb.AppendLine();
        sb.AppendLine("_Generated by `perf join --write-results`; edits between the join markers are overwritten._");
        sb.AppendLine();
        sb.AppendLine(inv, $"Measured {started:yyyy-MM-dd HH:mm zzz} on {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; load average at start {string.Join(" / ", loadStart)}, at end {string.Join(" / ", loadEnd)}. M = {results.FirstOrDefault()?.Messages} messages per feed; GC: {(GCSettings.IsServerGC ? "Server" : "Workstation")}, {GCSettings.LatencyMode}; joining peer at nice {joinerNice}.");
        sb.AppendLine();
        sb.AppendLine("The client is a FeedStore with replication, the multifeed set and the chat views, plus a stand-in UI thread that ticks every millisecond and drains chat events in batches of at most 256, as the terminal client's loop does. Like the terminal client it runs Server GC and the `UiLatencyGuard` (collections paced at 2 MB, worker threads at nice 19). The joining peer is another process on the same 2 cores; at nice 19 (the default) it stands in for a peer on another machine: it shares the CPU the UI thread leaves with the client's workers (also at nice 19); at nice 0 it competes as an equal program would. Times are from the TCP connect; GC is the client's total pause time (gen0/gen1/gen2 collections; most are the pacer's short ones).");
        sb.AppendLine();
        sb.AppendLine("| F (feeds) | negotiation (all feeds known) | all channels open | full sync | all indexed | longest UI stall | p99 UI stall | client GC pauses | UI events drained | client peak RSS |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            sb.AppendLine(inv, $"| {r.Feeds:N0} | {r.NegotiationMs:0} ms | {r.ChannelsOpenMs:0} ms | {r.FullSyncMs:0} ms | {r.IndexedMs:0} ms | {r.MaxStallMs:0.0} ms | {r.P99StallMs:0.00} ms | {r.GcPauseMs:0} ms ({r.Gen0}/{r.Gen1}/{r.Gen2}) | {r.UiEvents:N0} | {r.PeakRssMb} MB |");
        sb.AppendLine();
        var worst = results.Count == 0 ? 0 : results.Max(r => r.MaxStallMs);
        sb.AppendLine(inv, $"Target: no UI-thread stall over 16 ms (one frame) while a peer with 10,000 feeds joins. **{(results.Any(r => r.Feeds >= 10_000) ? (worst <= 16 ? "Met" : "Not met") : "Not measured at 10,000")}**: the longest stall measured was {worst:0.0} ms.");
        return sb.ToString();
    }

}
