// `perf sync`: C#→C# multifeed replication of a cabal of F writer feeds × M messages to a fresh peer
// over TCP on 127.0.0.1, both peers in this process. Times are from the TCP connect call:
//   all feeds known   – the fresh peer's set holds all F+2 feeds (negotiation done, feeds created)
//   all channels open – every agreed feed's channel is open both ways
//   full sync         – every block of every feed is stored and verified on the fresh peer
// Then the same two peers reconnect with nothing changed (length sync leaves every channel unopened)
// and once more with 1% of the feeds grown by one message.
// The section of perf/RESULTS.md between the multifeed markers is rewritten with --write-results,
// beside the JS anchor's replicate figures (../shared/interop/ANCHOR-RESULTS.json).
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Net.Crypto;

namespace Cabal.Perf;

internal static class SyncScenario
{
    public const string Begin = "<!-- multifeed:begin -->";
    public const string End = "<!-- multifeed:end -->";

    internal sealed record Result(
        int Feeds, int Messages, double BuildMs, double FeedsKnownMs, double ChannelsOpenMs, double FullSyncMs, long FullSyncFrames,
        double UnchangedMs, long UnchangedFrames, int GrownFeeds, double GrownMs, long GrownFrames, long PeakRssMb);

    public static Command BuildCommand()
    {
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated feed counts.", DefaultValueFactory = _ => "100,1000,10000" };
        var messages = new Option<int>("--messages") { Description = "chat/text messages per feed.", DefaultValueFactory = _ => 20 };
        var outOption = new Option<string>("--out") { Description = "Directory for the JSON results.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "out") };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the multifeed section of perf/RESULTS.md." };
        var cmd = new Command("sync", "Time C#→C# multifeed replication of F feeds to a fresh peer over TCP loopback.") { sizes, messages, write, outOption };
        cmd.SetAction(async (r, ct) =>
        {
            var list = (r.GetValue(sizes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            var m = r.GetValue(messages);
            var started = DateTimeOffset.Now;
            var load = Machine.LoadAverage();
            var results = new List<Result>();
            await RunAsync(20, 2, ct).ConfigureAwait(false); // untimed warm-up: JIT and first-use costs stay out of the smallest size
            foreach (var f in list)
            {
                var res = await RunAsync(f, m, ct).ConfigureAwait(false);
                Console.WriteLine(JsonSerializer.Serialize(res));
                results.Add(res);
            }
            var outDir = r.GetValue(outOption)!;
            Directory.CreateDirectory(outDir);
            await File.WriteAllTextAsync(Path.Combine(outDir, "sync-latest.json"), JsonSerializer.Serialize(new { scenario = "sync", started, machine = Machine.Describe(null), results }), ct).ConfigureAwait(false);
            if (r.GetValue(write))
                await ScenarioKit.ReplaceSectionAsync(Begin, End, Render(results, started, load, Machine.LoadAverage()), ct).ConfigureAwait(false);
            return 0;
        });
        return cmd;
    }

    private static async Task<Result> RunAsync(int feeds, int messages, CancellationToken ct)
    {
        var root = Path.Combine(Path.GetTempPath(), "cabal-perf-sync-" + Guid.NewGuid().ToString("N")[..8]);
        var cabal = Ed25519.NewKeyPair().PublicKey;
        try
        {
            await using var srcStore = FeedStore.Open(Path.Combine(root, "src"), new FeedStoreOptions { Durable = false });
            await using var srcRep = new Replicator(srcStore);
            await using var src = await MultifeedSet.OpenAsync(srcStore, srcRep, cabal, cancellationToken: ct).ConfigureAwait(false);
            var build = Stopwatch.StartNew();
            var writers = await Task.WhenAll(Enumerable.Range(0, feeds).Select(i => srcStore.CreateWritableAsync(name: "u" + i, group: cabal, cancellationToken: ct))).ConfigureAwait(false);
            for (var m = 0; m < messages; m++)
            {
                var mm = m;
                await Task.WhenAll(writers.Select((w, i) => w.AppendAsync(ScenarioKit.Message(i, mm), ct))).ConfigureAwait(false);
            }
            build.Stop();

            await using var dstStore = FeedStore.Open(Path.Combine(root, "dst"), new FeedStoreOptions { Durable = false });
            await using var dstRep = new Replicator(dstStore);
            await using var dst = await MultifeedSet.OpenAsync(dstStore, dstRep, cabal, cancellationToken: ct).ConfigureAwait(false);
            // The fresh peer holds the writers and its own local feed; the source's local feed is empty,
            // so it is watched, not stored (issue 20). Unchanged feeds left dormant: the writers.
            var total = feeds + 1;

            // 1. Fresh peer.
            var sw = Stopwatch.StartNew();
            var (a, b) = await ConnectAsync(dst, src, ct).ConfigureAwait(false);
            var known = await ScenarioKit.WhenAsync(sw, () => dst.Count == total, ct).ConfigureAwait(false);
            var open = await ScenarioKit.WhenAsync(sw, () => a.OpenChannelCount >= total, ct).ConfigureAwait(false);
            var full = await ScenarioKit.WhenAsync(sw, () => InSync(src, dst), ct).ConfigureAwait(false);
            var fullFrames = a.Connection.FramesSent + a.Connection.FramesReceived;
            await a.DisposeAsync().ConfigureAwait(false);
            await b.DisposeAsync().ConfigureAwait(false);

            // 2. Reconnect, nothing changed.
            sw.Restart();
            (a, b) = await ConnectAsync(dst, src, ct).ConfigureAwait(false);
            var unchanged = await ScenarioKit.WhenAsync(sw, () => a.DormantFeedCount == feeds && b.DormantFeedCount == feeds, ct).ConfigureAwait(false);
            await Task.Delay(300, ct).ConfigureAwait(false);
            var unchangedFrames = a.Connection.FramesSent + a.Connection.FramesReceived;
            await a.DisposeAsync().ConfigureAwait(false);
            await b.DisposeAsync().ConfigureAwait(false);

            // 3. Reconnect after 1% of the feeds grew.
            var grown = Math.Max(1, feeds / 100);
            await Task.WhenAll(writers.Take(grown).Select((w, i) => w.AppendAsync(ScenarioKit.Message(i, messages), ct))).ConfigureAwait(false);
            sw.Restart();
            (a, b) = await ConnectAsync(dst, src, ct).ConfigureAwait(false);
            var grownMs = await ScenarioKit.WhenAsync(sw, () => a.Ready.IsCompleted && InSync(src, dst) && a.ActiveFeedCount + a.DormantFeedCount == total, ct).ConfigureAwait(false);
            await Task.Delay(300, ct).ConfigureAwait(false);
            var grownFrames = a.Connection.FramesSent + a.Connection.FramesReceived;
            await a.DisposeAsync().ConfigureAwait(false);
            await b.DisposeAsync().ConfigureAwait(false);

            return new Result(feeds, messages, build.Elapsed.TotalMilliseconds, known, open, full, fullFrames,
                unchanged, unchangedFrames, grown, grownMs, grownFrames, ScenarioKit.PeakRssMb());
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Connects two sets over TCP on 127.0.0.1; <paramref name="dialler"/> dials.</summary>
    internal static async Task<(MultifeedSession Dialler, MultifeedSession Listener)> ConnectAsync(MultifeedSet dialler, MultifeedSet listener, CancellationToken ct)
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        try
        {
            var client = new TcpClient { NoDelay = true };
            var connect = client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)l.LocalEndpoint).Port, ct).AsTask();
            var accepted = await l.AcceptTcpClientAsync(ct).ConfigureAwait(false);
            accepted.NoDelay = true;
            await connect.ConfigureAwait(false);
            var a = dialler.Replicate(new ProtocolConnection(client.GetStream(), isInitiator: true));
            var b = listener.Replicate(new ProtocolConnection(accepted.GetStream(), isInitiator: false));
            return (a, b);
        }
        finally { l.Stop(); }
    }

    /// <summary>Every block of every non-empty feed of <paramref name="src"/> is stored in <paramref name="dst"/>.</summary>
    internal static bool InSync(MultifeedSet src, MultifeedSet dst)
    {
        foreach (var f in src.Feeds)
            if (f.Length > 0 && (dst.TryGet(f.KeyHex) is not { } g || g.Contiguous != f.Length)) return false;
        return true;
    }

    private static Dictionary<int, (double Feeds, double Downloaded)> JsAnchor()
    {
        var result = new Dictionary<int, (double, double)>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.DefaultInterop, "ANCHOR-RESULTS.json")));
            foreach (var s in doc.RootElement.GetProperty("sizes").EnumerateArray())
                if (s.TryGetProperty("replicate", out var r))
                    result[s.GetProperty("feeds").GetInt32()] = (r.GetProperty("allFeedsMs").GetDouble(), r.GetProperty("allDownloadedMs").GetDouble());
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException) { }
        return result;
    }

    private static string Render(List<Result> results, DateTimeOffset started, double[] loadStart, double[] loadEnd)
    {
        var inv = CultureInfo.InvariantCulture;
        static string S(double ms) => ms >= 10_000 ? (ms / 1000).ToString("0", CultureInfo.InvariantCulture) + " s" : ms >= 1000 ? (ms / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s" : ms.ToString("0", CultureInfo.InvariantCulture) + " ms";
        var sb = new StringBuilder();
        ScenarioKit.AppendSectionHead(sb, "Multifeed sync: C#→C# replication of F feeds over TCP loopback", "sync", "multifeed", string.Create(inv, $"sync --sizes {string.Join(',', results.Select(r => r.Feeds))} --messages {results.FirstOrDefault()?.Messages ?? 20}"), started, loadStart, loadEnd);
        sb.AppendLine("A source peer holds F writer feeds × M chat/text messages (one signature per message) plus its own empty");
        sb.AppendLine("local feed; a fresh peer (its own empty local feed) dials it. Both peers run in one process (so they share");
        sb.AppendLine("the cores), stores non-durable (no fsync). Times are from the TCP connect call, one run per size after an untimed warm-up.");
        sb.AppendLine("*All channels open*: every one of the F+2 feed channels is open both ways (the Opens are pipelined).");
        sb.AppendLine("*Unchanged reconnect*: the same peers reconnect; with the `CABAL_DOTNET_SYNC` length exchange no feed");
        sb.AppendLine("channel is opened at all. *1 % grown*: F/100 feeds got one more message before reconnecting.");
        sb.AppendLine("Frames are counted both ways on one connection (`ProtocolConnection.FramesSent + FramesReceived`).");
        sb.AppendLine("JS columns: the anchor's fresh-peer replicate run (cabal-core 16, same F and M = 20; ../shared/interop/ANCHOR-RESULTS.md);");
        sb.AppendLine("JS could not replicate F = 3,000 on one connection (idle timeout), F = 10,000 was not attempted.");
        sb.AppendLine();
        sb.AppendLine("| F (feeds) | all feeds known | all channels open | full sync | frames | unchanged reconnect | frames | 1 % grown: reconnect to sync | frames | JS all feeds known | JS all blocks downloaded |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var js = JsAnchor();
        foreach (var r in results)
        {
            var (jf, jd) = js.TryGetValue(r.Feeds, out var j) ? (S(j.Feeds), S(j.Downloaded)) : ("–", "–");
            sb.AppendLine(inv, $"| {r.Feeds:N0} | {S(r.FeedsKnownMs)} | {S(r.ChannelsOpenMs)} | {S(r.FullSyncMs)} | {r.FullSyncFrames:N0} | {S(r.UnchangedMs)} | {r.UnchangedFrames:N0} | {S(r.GrownMs)} ({r.GrownFeeds:N0} feeds) | {r.GrownFrames:N0} | {jf} | {jd} |");
        }
        sb.AppendLine();
        sb.AppendLine(inv, $"Peak RSS of the process holding both peers after the largest size: {results.Max(r => r.PeakRssMb):N0} MB.");
        sb.AppendLine();
        return sb.ToString();
    }

}
