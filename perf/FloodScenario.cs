// `perf flood` (issue 20, "a flood test"): the real `cabal seed` bot serving a cabal of F feeds × M
// messages, first quiet, then under four attacks together (perf/Hostile/FloodAttack.cs):
//   200 silent TCP connections from one address, reopened as the bot closes them;
//   rounds of 64 connections that finish the Noise handshake and declare an 8 MiB frame;
//   a member offering a MANIFEST of 100,000 keys nobody holds;
//   a member sending 10,000,000 Haves over the feed channels the bot offers it.
// A legitimate reader (a fresh MultifeedSet in this process, from 127.0.0.2) syncs every block,
// --runs times quiet and --runs times flooded (medians compared: goal ≤ 1.5×); the bot's VmRSS is
// sampled all along (goal: under --memory-bound MB); while the flood goes on a new member publishes
// with `cabal send --wait-ack 1` (goal: acked); afterwards `cabal feeds --json` shows whether any of
// the 100,000 offered keys was stored (goal: none). The attackers run in a child process at
// --attacker-nice (default 19), standing in for hosts elsewhere: their own CPU is not the bot's.
// Every `cabal` child has --no-lan and CABAL_NO_DHT=1; everything is on 127.0.0.0/8.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Perf.Hostile;

namespace Cabal.Perf;

internal static class FloodScenario
{
    public const string Begin = "<!-- flood:begin -->";
    public const string End = "<!-- flood:end -->";
    public const string AttackCommand = "flood-attack";

    /// <summary>The legitimate reader's address: not one of the attackers' (FloodAttack's address plan).</summary>
    public static readonly IPAddress Reader = LoopbackDial.Loopback(0, 2);

    internal sealed record Result(
        int Feeds, int Messages, double[] QuietMs, double[] FloodedMs, double QuietMedianMs, double FloodedMedianMs, double Ratio,
        long BaselineRssMb, long PeakRssMb, long PeakRssQuietMb, int RssSamples, long MemoryBoundMb,
        bool MemberAcked, double MemberMs, string MemberNote, int ManifestKeysStored, int BotFeedsAfter,
        FloodCounts Counts, long HaveBudget, int AttackerNice, double FloodSeconds, DateTimeOffset Started, double[] LoadStart, double[] LoadEnd)
    {
        public bool SyncPass => Ratio <= 1.5 && FloodedMs.Length > 0 && FloodedMs.All(double.IsFinite);
        public bool MemoryPass => PeakRssMb < MemoryBoundMb;
        public bool ManifestPass => ManifestKeysStored == 0;
    }

    public static Command BuildCommand()
    {
        var feeds = new Option<int>("--feeds") { Description = "Feeds in the bot's cabal.", DefaultValueFactory = _ => 1000 };
        var messages = new Option<int>("--messages") { Description = "chat/text messages per feed.", DefaultValueFactory = _ => 20 };
        var runs = new Option<int>("--runs") { Description = "Reader syncs quiet and flooded (medians compared).", DefaultValueFactory = _ => 3 };
        var haves = new Option<long>("--haves") { Description = "Haves the flooding member sends in all.", DefaultValueFactory = _ => 10_000_000 };
        var manifest = new Option<int>("--manifest") { Description = "Keys in the hostile MANIFEST.", DefaultValueFactory = _ => 100_000 };
        var nice = new Option<int>("--attacker-nice") { Description = "Nice level of the attackers' process (19: hosts elsewhere; 0: competing for this machine's cores).", DefaultValueFactory = _ => 19 };
        var floodSeconds = new Option<int>("--flood-seconds") { Description = "The flood lasts this long, or until every Have is sent, before the new member joins (the RSS bound is watched all along).", DefaultValueFactory = _ => 90 };
        var bound = new Option<int>("--memory-bound") { Description = "The bot's RSS bound, MB.", DefaultValueFactory = _ => 300 };
        var cache = new Option<string>("--cache") { Description = "Directory for built stores, kept between runs.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "cache") };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the flood section of perf/RESULTS.md." };
        var cmd = new Command("flood", "A reader's sync and the bot's memory while four attackers flood the real `cabal seed` bot.")
            { feeds, messages, runs, haves, manifest, nice, floodSeconds, bound, cache, write };
        cmd.SetAction(async (r, ct) =>
        {
            var result = await RunAsync(r.GetValue(feeds), r.GetValue(messages), r.GetValue(runs), r.GetValue(haves), r.GetValue(manifest),
                r.GetValue(nice), r.GetValue(floodSeconds), r.GetValue(bound), Path.GetFullPath(r.GetValue(cache)!), ct).ConfigureAwait(false);
            Console.WriteLine(JsonSerializer.Serialize(result));
            foreach (var line in Summary(result)) Console.WriteLine(line);
            if (r.GetValue(write))
                await ScenarioKit.ReplaceSectionAsync(Begin, End, Render(result), ct).ConfigureAwait(false);
            return result.SyncPass && result.MemoryPass && result.MemberAcked && result.ManifestPass ? 0 : 1;
        });
        return cmd;
    }

    /// <summary>The terminal's view: one line per goal, under 100 columns (the wide tables go to RESULTS.md and the JSON line).</summary>
    private static IEnumerable<string> Summary(Result r)
    {
        var inv = CultureInfo.InvariantCulture;
        yield return string.Create(inv, $"flood: reader quiet {r.QuietMedianMs:N0} ms, flooded {r.FloodedMedianMs:N0} ms: {r.Ratio:0.00}x (goal 1.5x) {Pass(r.SyncPass)}");
        yield return string.Create(inv, $"flood: bot peak RSS {r.PeakRssMb} MB (bound {r.MemoryBoundMb} MB) {Pass(r.MemoryPass)}");
        yield return r.MemberAcked
            ? string.Create(inv, $"flood: new member acked after {r.MemberMs:N0} ms PASS")
            : "flood: new member not acked FAIL";
        yield return string.Create(inv, $"flood: {r.ManifestKeysStored:N0} of the MANIFEST's keys stored {Pass(r.ManifestPass)}");
    }

    private static string Pass(bool pass) => pass ? "PASS" : "FAIL";

    /// <summary>The hidden child running the attackers: prints its counts every half second, and "final" after a "stop" line.</summary>
    public static Command BuildAttackCommand()
    {
        var port = new Option<int>("--port") { Required = true };
        var cabal = new Option<string>("--cabal") { Required = true };
        var haves = new Option<long>("--haves") { Required = true };
        var manifest = new Option<int>("--manifest") { Required = true };
        var cmd = new Command(AttackCommand, "(internal) the attackers of `flood`") { port, cabal, haves, manifest };
        cmd.Hidden = true;
        cmd.SetAction(async (r, ct) =>
        {
            var attack = FloodAttack.Start(new FloodAttackOptions
            {
                Port = r.GetValue(port), CabalKey = Convert.FromHexString(r.GetValue(cabal)!), Haves = r.GetValue(haves), ManifestKeys = r.GetValue(manifest),
            });
            var stop = Task.Run(async () => { while (await Console.In.ReadLineAsync(ct).ConfigureAwait(false) is { } line && line != "stop") { } }, ct);
            Console.WriteLine(JsonSerializer.Serialize(new { @event = "started" }));
            while (!stop.IsCompleted)
            {
                await Task.WhenAny(stop, Task.Delay(500, ct)).ConfigureAwait(false);
                Console.WriteLine(JsonSerializer.Serialize(new { @event = "counts", counts = attack.Counts(), fault = attack.Fault?.Message, note = attack.LastMemberError }));
            }
            await attack.DisposeAsync().ConfigureAwait(false);
            Console.WriteLine(JsonSerializer.Serialize(new { @event = "final", counts = attack.Counts(), fault = attack.Fault?.Message, note = attack.LastMemberError }));
            return 0;
        });
        return cmd;
    }

    private static async Task<Result> RunAsync(int feeds, int messages, int runs, long haves, int manifestKeys, int nice, int floodSeconds, int boundMb, string cacheDir, CancellationToken ct)
    {
        var loadStart = Machine.LoadAverage();
        var started = DateTimeOffset.Now;
        var cabalDll = Path.Combine(AppContext.BaseDirectory, "cabal.dll");
        var root = Path.Combine(Path.GetTempPath(), "cabal-perf-flood-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Console.Error.WriteLine($"perf flood: the bot's cabal ({feeds} feeds × {messages} messages)…");
            var cached = await StoreCache.EnsureAsync(cacheDir, feeds, messages, rebuild: false, ct).ConfigureAwait(false);
            var botDir = Path.Combine(root, "bot");
            ScenarioKit.CopyDirectory(cached.StoreDir, Path.Combine(botDir, "feeds"));
            var key = StoreCache.CabalKeyHex;

            await using var bot = PeerProcess.StartCabal(MeasuredCabal.Jit, ["seed", key, "--data", botDir, "--json", "--listen", "0", "--no-lan", "--no-dht"], "bot");
            var port = (await bot.WaitForAsync("listening", TimeSpan.FromMinutes(2), ct).ConfigureAwait(false)).GetProperty("port").GetInt32();
            await using var rss = new RssSampler(bot.Id, TimeSpan.FromMilliseconds(100));
            var expected = (ulong)feeds * (ulong)messages;

            Console.Error.WriteLine("perf flood: warm-up sync (untimed)…");
            await SyncOnceAsync(port, key, expected, root, ct).ConfigureAwait(false);
            await Task.Delay(2000, ct).ConfigureAwait(false);
            var baseline = rss.LastKiB;
            var quiet = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                quiet.Add(await SyncOnceAsync(port, key, expected, root, ct).ConfigureAwait(false));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"perf flood: quiet sync {i + 1}: {quiet[^1]:0} ms; bot RSS {rss.LastKiB / 1024} MB"));
            }
            var peakQuiet = rss.PeakKiB;

            Console.Error.WriteLine("perf flood: starting the attackers…");
            await using var attackers = PeerProcess.StartSelf(null, AttackCommand,
                ["--port", $"{port}", "--cabal", key, "--haves", $"{haves}", "--manifest", $"{manifestKeys}"], nice);
            await attackers.WaitForAsync("started", TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
            // Let every attack get going: the manifest sent and the Haves flowing.
            var going = Stopwatch.StartNew();
            while (going.Elapsed < TimeSpan.FromSeconds(60)
                   && (Counts(attackers) is not { } c || c.ManifestsSent == 0 || c.HavesSent == 0 || c.OversizedRounds == 0))
                await Task.Delay(200, ct).ConfigureAwait(false);
            Console.Error.WriteLine($"perf flood: attackers going after {going.Elapsed.TotalSeconds:0.0} s: {Counts(attackers)}");

            var flooded = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                flooded.Add(await SyncOnceAsync(port, key, expected, root, ct).ConfigureAwait(false));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"perf flood: flooded sync {i + 1}: {flooded[^1]:0} ms; bot RSS {rss.LastKiB / 1024} MB (peak {rss.PeakKiB / 1024}); {Counts(attackers)}"));
            }

            // The flood goes on (the sampler watching) until it has lasted --flood-seconds or the Haves are through.
            while (going.Elapsed < TimeSpan.FromSeconds(floodSeconds) && Counts(attackers) is { } now && now.HavesSent < haves)
                await Task.Delay(500, ct).ConfigureAwait(false);
            var floodedFor = going.Elapsed.TotalSeconds;

            // A new member publishes and waits for the bot's ack, the flood still going.
            var member = Path.Combine(root, "member");
            var sw = Stopwatch.StartNew();
            var send = await ProcessRunner.RunAsync("dotnet", ["exec", cabalDll, "send", key, "--data", member, "--text", "hello, I am new", "--wait-ack", "1",
                "--peer", $"127.0.0.1:{port}", "--no-lan", "--no-dht", "--timeout", "120"], TimeSpan.FromMinutes(3), ct, env: NoDht).ConfigureAwait(false);
            var memberMs = sw.Elapsed.TotalMilliseconds;
            var acked = send.Succeeded && send.StderrTail.Contains("stored by", StringComparison.Ordinal);
            Console.Error.WriteLine($"perf flood: new member: {send.Describe()} after {memberMs:0} ms: {send.StderrTail.ReplaceLineEndings(" ")}");

            await attackers.SendLineAsync("stop").ConfigureAwait(false);
            var final = await attackers.WaitForAsync("final", TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
            var counts = final.GetProperty("counts").Deserialize<FloodCounts>()!;
            var peak = Math.Max(rss.PeakKiB, RssSampler.ReadKiB(bot.Id, "VmHWM:") ?? 0);
            var samples = (int)rss.Samples;
            await rss.DisposeAsync().ConfigureAwait(false);
            await bot.DisposeAsync().ConfigureAwait(false);

            // What the bot holds now: none of the offered keys should be among its feeds.
            var offered = FloodAttackOptions.ManifestKeysOf(new FloodAttackOptions { Port = 0, CabalKey = [] }.ManifestSeed, manifestKeys).ToHashSet(StringComparer.Ordinal);
            var list = await ProcessRunner.RunAsync("dotnet", ["exec", cabalDll, "feeds", key, "--data", botDir, "--json"], TimeSpan.FromMinutes(3), ct, env: NoDht).ConfigureAwait(false);
            if (!list.Succeeded) throw new InvalidOperationException($"cabal feeds: {list.Describe()}: {list.StderrTail}");
            var held = list.Stdout.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("feed").GetString()!).ToList();

            var (qm, fm) = (Median(quiet), Median(flooded));
            return new Result(feeds, messages, [.. quiet], [.. flooded], qm, fm, fm / qm, baseline / 1024, peak / 1024, peakQuiet / 1024, samples, boundMb,
                acked, memberMs, acked ? "" : send.Describe() + ": " + send.StderrTail.ReplaceLineEndings(" "), held.Count(offered.Contains), held.Count,
                counts, haves, nice, floodedFor, started, loadStart, Machine.LoadAverage());
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static readonly Dictionary<string, string> NoDht = new() { ["CABAL_NO_DHT"] = "1" };

    private static FloodCounts? Counts(PeerProcess attackers)
        => attackers.Latest("counts") is { } e ? e.GetProperty("counts").Deserialize<FloodCounts>() : null;

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>A fresh reader (its own store) dials the bot from 127.0.0.2 and syncs every block; ms from the connect.</summary>
    internal static async Task<double> SyncOnceAsync(int port, string cabalKeyHex, ulong expected, string root, CancellationToken ct)
    {
        var dir = Path.Combine(root, "reader-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var store = FeedStore.Open(dir, new FeedStoreOptions { Durable = false });
            await using var rep = new Replicator(store);
            await using var set = await MultifeedSet.OpenAsync(store, rep, Convert.FromHexString(cabalKeyHex), cancellationToken: ct).ConfigureAwait(false);
            var sw = Stopwatch.StartNew();
            var socket = await LoopbackDial.ConnectFromAsync(Reader, port, ct).ConfigureAwait(false);
            await using var session = set.Replicate(new ProtocolConnection(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true), isInitiator: true));
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromMinutes(5));
            while (Held(set) < expected)
            {
                if (session.Connection.IsEnded)
                    throw new InvalidOperationException($"the bot ended the reader's connection after {sw.Elapsed.TotalSeconds:0.0} s: {session.EndReason ?? session.Connection.Error?.Message}");
                try { await Task.Delay(5, limit.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"the reader held {Held(set)} of {expected} blocks after 5 minutes; {set.SyncReport()}");
                }
            }
            return sw.Elapsed.TotalMilliseconds;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static ulong Held(MultifeedSet set)
    {
        ulong n = 0;
        foreach (var f in set.Feeds) if (!f.Writable) n += f.Contiguous;
        return n;
    }

    internal static string Render(Result r)
    {
        var inv = CultureInfo.InvariantCulture;
        static string Ok(bool pass) => pass ? "**PASS**" : "**FAIL**";
        var c = r.Counts;
        var sb = new StringBuilder();
        ScenarioKit.AppendSectionHead(sb, "Hostile peers: the flood test (issue 20)", "flood", "flood",
            string.Create(inv, $"flood --feeds {r.Feeds} --messages {r.Messages} --runs {r.QuietMs.Length} --haves {r.HaveBudget} --attacker-nice {r.AttackerNice}"),
            r.Started, r.LoadStart, r.LoadEnd);
        sb.AppendLine(inv, $"The real `cabal seed` bot (`--no-lan --no-dht`, default limits) serves a cabal of {r.Feeds:N0} feeds × {r.Messages} chat/text messages.");
        sb.AppendLine("A legitimate reader (a fresh MultifeedSet with its own store, in the harness, dialling from 127.0.0.2) syncs every block,");
        sb.AppendLine(inv, $"{r.QuietMs.Length} times on the quiet bot, then {r.FloodedMs.Length} times while four attackers (perf/Hostile/, one child process at nice {r.AttackerNice},");
        sb.AppendLine("standing in for hosts elsewhere) run together: 200 silent TCP connections from 127.0.0.9, each reopened as the bot");
        sb.AppendLine("closes it; rounds of 64 connections (fresh 127.0.10–249.x addresses each round, every 5 s) that finish the Noise");
        sb.AppendLine("handshake and declare an 8 MiB frame; a member (127.0.250.x) offering a MANIFEST of 100,000 keys nobody holds and");
        sb.AppendLine("confirming whatever the bot requests; a member (127.0.251.x) sending Haves round-robin over every feed channel the bot");
        sb.AppendLine("offers it, as fast as its connection takes them. Then, the flood still on (it lasts `--flood-seconds` or until every Have is sent),");
        sb.AppendLine("a new member (`cabal send --wait-ack 1`,");
        sb.AppendLine("from 127.0.0.1) publishes. The bot's VmRSS is sampled every 100 ms from start to end (peak: the highest sample or");
        sb.AppendLine("VmHWM). Sync times are from the reader's TCP connect to its last block stored.");
        sb.AppendLine();
        sb.AppendLine("| goal | measured | |");
        sb.AppendLine("|---|---|---|");
        sb.AppendLine(inv, $"| reader's sync within 1.5× of quiet | quiet {r.QuietMedianMs:N0} ms, flooded {r.FloodedMedianMs:N0} ms (median of {r.FloodedMs.Length}): **{r.Ratio:0.00}×** | {Ok(r.SyncPass)} |");
        sb.AppendLine(inv, $"| bot under {r.MemoryBoundMb} MB RSS | peak {r.PeakRssMb} MB ({r.RssSamples:N0} samples; {r.BaselineRssMb} MB after the warm-up, {r.PeakRssQuietMb} MB peak while quiet) | {Ok(r.MemoryPass)} |");
        sb.AppendLine(inv, $"| a new member joins and is acked | {(r.MemberAcked ? string.Create(inv, $"acked after {r.MemberMs:N0} ms (process start to ack)") : "not acked: " + r.MemberNote)} | {Ok(r.MemberAcked)} |");
        sb.AppendLine(inv, $"| no empty feed stored from the 100,000-key MANIFEST | {r.ManifestKeysStored:N0} of its keys among the bot's {r.BotFeedsAfter:N0} feeds afterwards | {Ok(r.ManifestPass)} |");
        sb.AppendLine();
        sb.AppendLine(inv, $"The flood lasted {r.FloodSeconds:0} s before the new member started (the Have budget {(r.Counts.HavesSent >= r.HaveBudget ? "was spent" : "was not spent")}). Each sync: quiet {string.Join(", ", r.QuietMs.Select(x => x.ToString("N0", inv)))} ms; flooded {string.Join(", ", r.FloodedMs.Select(x => x.ToString("N0", inv)))} ms.");
        sb.AppendLine();
        sb.AppendLine("What the attackers saw:");
        sb.AppendLine();
        sb.AppendLine("| attacker | counts |");
        sb.AppendLine("|---|---|");
        sb.AppendLine(inv, $"| 200 silent connections | {c.SilentOpened:N0} opened, {c.SilentClosedByBot:N0} closed by the bot (refused at accept or expired), {c.SilentConnectFailed:N0} connects failed |");
        sb.AppendLine(inv, $"| oversized frames | {c.OversizedRounds:N0} rounds: {c.OversizedHandshakes:N0} handshakes done, {c.OversizedRefused:N0} refused before the handshake ended (penalty box, limits), {c.FramesDeclared:N0} frames of 8 MiB declared, {c.OversizedClosedByBot:N0} closed by the bot after the length |");
        sb.AppendLine(inv, $"| 100,000-key MANIFEST | {c.ManifestsSent:N0} sent ({c.ManifestKeysOffered:N0} keys offered) on {c.ManifestMemberConnections:N0} connection(s); the bot requested {c.FeedsRequestedByBot:N0} of them (its new-feed allowance, probed, not stored) |");
        sb.AppendLine(inv, $"| Have flood | {c.HavesSent:N0} of {r.HaveBudget:N0} Haves sent on {c.HaveChannelsOpen:N0} channels, over {c.HaveMemberConnections:N0} connections ({c.HaveMemberClosedByBot:N0} ended by the bot) |");
        sb.AppendLine();
        return sb.ToString();
    }
}
