// `perf empty-feeds` (issue 20): a fresh peer syncs a cabal of F feeds of which E are empty, over
// TCP on 127.0.0.1, once storing every agreed feed as multifeed 6 does (MultifeedOptions.
// StoreEmptyFeeds, "before") and once storing only feeds that show data ("after"). Each run is a
// child process of its own, so its peak RSS is its own. Times are from the TCP connect:
//   data synced – every block of every non-empty feed is stored on the fresh peer
//   in sync     – the fresh peer's session is in sync (every agreed feed's length known)
// The "Hostile peers" section of perf/RESULTS.md is rewritten with --write-results.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;

namespace Cabal.Perf;

internal static class EmptyFeedsScenario
{
    public const string Begin = "<!-- hostile-feeds:begin -->";
    public const string End = "<!-- hostile-feeds:end -->";

    internal sealed record Result(string Mode, int Feeds, int Empty, int Messages, double DataSyncedMs, double InSyncMs,
        int FeedsStored, int EmptyNotStored, long StoreKiB, long PeakRssMb);

    public static Command BuildCommand()
    {
        var feeds = new Option<int>("--feeds") { Description = "Feeds in the cabal.", DefaultValueFactory = _ => 1000 };
        var empty = new Option<int>("--empty") { Description = "Of them, feeds with no block.", DefaultValueFactory = _ => 700 };
        var messages = new Option<int>("--messages") { Description = "chat/text messages per non-empty feed.", DefaultValueFactory = _ => 20 };
        var mode = new Option<string?>("--mode") { Description = "before or after (one run, in this process); default both, each in a child." };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the hostile-peers section of perf/RESULTS.md." };
        var cmd = new Command("empty-feeds", "Sync time and RSS of a cabal with many empty feeds, storing them (before) or not (after).")
            { feeds, empty, messages, mode, write };
        cmd.SetAction(async (r, ct) =>
        {
            var (f, e, m) = (r.GetValue(feeds), r.GetValue(empty), r.GetValue(messages));
            if (e > f || f < 1 || m < 1) { Console.Error.WriteLine("need 0 <= --empty <= --feeds, --feeds >= 1, --messages >= 1"); return 64; }
            if (r.GetValue(mode) is { } one)
            {
                var res = await RunAsync(one == "before", f, e, m, ct).ConfigureAwait(false);
                Console.WriteLine(JsonSerializer.Serialize(res));
                return 0;
            }
            var started = DateTimeOffset.Now;
            var load = Machine.LoadAverage();
            var results = new List<Result>();
            foreach (var which in new[] { "before", "after", "before", "after" }) // two rounds: the order's cost shows
            {
                var (file, args) = SelfInvocation.For("empty-feeds", "--mode", which, "--feeds", $"{f}", "--empty", $"{e}", "--messages", $"{m}");
                var outcome = await ProcessRunner.RunAsync(file, args, TimeSpan.FromMinutes(15), ct).ConfigureAwait(false);
                if (!outcome.Succeeded) { Console.Error.WriteLine($"{which}: {outcome.Describe()}\n{outcome.StderrTail}"); return 1; }
                var res = JsonSerializer.Deserialize<Result>(outcome.Stdout.Last(l => l.StartsWith('{')))!;
                results.Add(res);
                Console.WriteLine(Line(res));
            }
            if (r.GetValue(write))
                await ScenarioKit.ReplaceSectionAsync(Begin, End, Render(results, started, load, Machine.LoadAverage()), ct).ConfigureAwait(false);
            return 0;
        });
        return cmd;
    }

    // One line of at most 100 columns.
    private static string Line(Result r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Mode,-6} data {r.DataSyncedMs,7:0} ms  in sync {r.InSyncMs,7:0} ms  stored {r.FeedsStored,5}  " +
        $"not stored {r.EmptyNotStored,4}  store {r.StoreKiB,7:N0} KiB  rss {r.PeakRssMb,4} MB");

    private static async Task<Result> RunAsync(bool before, int feeds, int empty, int messages, CancellationToken ct)
    {
        var root = Path.Combine(Path.GetTempPath(), "cabal-perf-empty-" + Guid.NewGuid().ToString("N")[..8]);
        var cabal = Ed25519.NewKeyPair().PublicKey;
        try
        {
            await using var srcStore = FeedStore.Open(Path.Combine(root, "src"), new FeedStoreOptions { Durable = false });
            await using var srcRep = new Replicator(srcStore);
            await using var src = await MultifeedSet.OpenAsync(srcStore, srcRep, cabal, cancellationToken: ct).ConfigureAwait(false);
            await src.LocalFeed.AppendAsync(ScenarioKit.Message(-1, 0), ct).ConfigureAwait(false);
            var writers = await Task.WhenAll(Enumerable.Range(0, feeds).Select(i => srcStore.CreateWritableAsync(name: "u" + i, group: cabal, cancellationToken: ct))).ConfigureAwait(false);
            var full = writers.Skip(empty).ToArray();
            for (var m = 0; m < messages; m++)
            {
                var mm = m;
                await Task.WhenAll(full.Select((w, i) => w.AppendAsync(ScenarioKit.Message(i, mm), ct))).ConfigureAwait(false);
            }

            var options = new MultifeedOptions { StoreEmptyFeeds = before };
            await using var dstStore = FeedStore.Open(Path.Combine(root, "dst"), new FeedStoreOptions { Durable = false });
            await using var dstRep = new Replicator(dstStore);
            await using var dst = await MultifeedSet.OpenAsync(dstStore, dstRep, cabal, options, cancellationToken: ct).ConfigureAwait(false);
            await dst.LocalFeed.AppendAsync(ScenarioKit.Message(-2, 0), ct).ConfigureAwait(false);

            var sw = Stopwatch.StartNew();
            var (a, b) = await SyncScenario.ConnectAsync(dst, src, ct).ConfigureAwait(false);
            var data = await ScenarioKit.WhenAsync(sw, () => SyncScenario.InSync(src, dst), ct).ConfigureAwait(false);
            var inSync = await ScenarioKit.WhenAsync(sw, () => a.SyncReport().InSync, ct).ConfigureAwait(false);
            var report = dst.SyncReport();
            var peak = ScenarioKit.PeakRssMb();
            await a.DisposeAsync().ConfigureAwait(false);
            await b.DisposeAsync().ConfigureAwait(false);
            var storeKiB = new DirectoryInfo(Path.Combine(root, "dst")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(fi => fi.Length) / 1024;
            return new Result(before ? "before" : "after", feeds, empty, messages, data, inSync, dst.Count, report.EmptyFeedsNotStored, storeKiB, peak);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static string Render(List<Result> results, DateTimeOffset started, double[] loadStart, double[] loadEnd)
    {
        var inv = CultureInfo.InvariantCulture;
        var r0 = results[0];
        var sb = new StringBuilder();
        ScenarioKit.AppendSectionHead(sb, "Hostile peers: a cabal with many empty feeds, stored (before) or skipped (after)", "empty-feeds", "hostile-feeds", string.Create(inv, $"empty-feeds --feeds {r0.Feeds} --empty {r0.Empty} --messages {r0.Messages}"), started, loadStart, loadEnd);
        sb.AppendLine(inv, $"A source peer holds {r0.Feeds:N0} writer feeds, {r0.Empty:N0} of them empty and the rest with {r0.Messages} chat/text");
        sb.AppendLine("messages each; a fresh peer dials it over TCP loopback (both in one child process per run, stores");
        sb.AppendLine("non-durable). *Before*: `MultifeedOptions.StoreEmptyFeeds` (multifeed 6: every agreed feed stored at");
        sb.AppendLine("once). *After*: the default since issue 20: a new feed is probed on its channel and stored only once");
        sb.AppendLine("the remote shows a block. *Data synced*: every block of every non-empty feed stored. *In sync*: the");
        sb.AppendLine("fresh peer's session reports in sync (every agreed feed's length known, empty ones included).");
        sb.AppendLine("*Store*: the fresh peer's LMDB files. RSS: the child's peak, both peers together (the source's feeds");
        sb.AppendLine("dominate it, so it barely moves). Two rounds, alternating. What skipping saves for certain is storage");
        sb.AppendLine("(one header and key row per empty feed) and cap room; time is within this machine's noise when busy.");
        sb.AppendLine();
        sb.AppendLine("| run | data synced | in sync | feeds stored | empty, not stored | store | peak RSS |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            sb.AppendLine(inv, $"| {r.Mode} | {r.DataSyncedMs:N0} ms | {r.InSyncMs:N0} ms | {r.FeedsStored:N0} | {r.EmptyNotStored:N0} | {r.StoreKiB:N0} KiB | {r.PeakRssMb:N0} MB |");
        sb.AppendLine();
        return sb.ToString();
    }
}
