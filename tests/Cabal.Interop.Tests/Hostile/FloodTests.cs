using System.Text.Json;
using Cabal.Interop.Tests.Program;
using Cabal.Perf;
using Cabal.Perf.Hostile;
using Cabal.Tests;
using Xunit.Abstractions;

namespace Cabal.Interop.Tests.Hostile;

// Issue 20, "a flood test", at a test's scale: the four attacks of `perf flood` (perf/Hostile) together
// against the real `cabal seed` process: 200 silent connections from one address, a round of 64
// declared 8 MiB frames, a member's 100,000-key MANIFEST and a member's million Haves. Under all of
// it a reader from another address syncs every block, the bot stays under the documented bound
// (300 MB RSS), a new member's `cabal send --wait-ack 1` is acked, and none of the offered keys is
// stored. Facts only, no timing: the times are perf/RESULTS.md's ("Hostile peers: the flood test").
public sealed class FloodTests(ITestOutputHelper output) : IDisposable
{
    private const int Feeds = 50;
    private const int Messages = 5;
    private const long MemoryBoundKiB = 300 * 1024;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [LinuxFact]
    public async Task UnderAllFourAttacks_AReaderSyncs_TheBotStaysUnderItsBound_AndANewMemberIsAcked()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = timeout.Token;
        var cached = await StoreCache.EnsureAsync(_dir.Sub("cache"), Feeds, Messages, rebuild: false, ct);
        var botDir = _dir.Sub("bot");
        ScenarioKit.CopyDirectory(cached.StoreDir, Path.Combine(botDir, "feeds"));
        var key = StoreCache.CabalKeyHex;
        var bot = await SeedBot.StartAsync(key, botDir, null, "--listen", "0", "--no-lan", "--no-dht");
        var botRunning = true;
        try
        {
        await using var rss = new RssSampler(bot.Process.Id, TimeSpan.FromMilliseconds(50));

        var options = new FloodAttackOptions { Port = bot.Port, CabalKey = Convert.FromHexString(key), Haves = 1_000_000, OversizedRounds = 1 };
        FloodCounts counts;
        var attackTime = System.Diagnostics.Stopwatch.StartNew();
        await using (var attack = FloodAttack.Start(options))
        {
            Assert.True(await Poll.UntilAsync(() => attack.Counts() is { ManifestsSent: > 0, HavesSent: > 0, OversizedRounds: > 0 } || attack.Fault is not null, TimeSpan.FromSeconds(60)),
                $"the attacks got going: {attack.Counts()}; {attack.LastMemberError}");
            Assert.Null(attack.Fault);

            // The reader, from 127.0.0.2, holds every block (SyncOnceAsync throws if the bot ends it or 5 minutes pass).
            var ms = await FloodScenario.SyncOnceAsync(bot.Port, key, Feeds * Messages, _dir.Sub("readers"), ct);
            output.WriteLine($"reader synced {Feeds * Messages} blocks in {ms:0} ms under the flood");

            // A new member joins (from 127.0.0.1) and its message is acked.
            var send = await CabalProgram.RunAsync(TimeSpan.FromMinutes(2), "send", key, "--data", _dir.Sub("member"), "--text", "hello, I am new",
                "--wait-ack", "1", "--peer", $"127.0.0.1:{bot.Port}", "--no-lan", "--no-dht", "--timeout", "90");
            send.AssertExit(0);
            Assert.Contains("stored by 1 peer(s)", send.Stderr);
            // Silent connections are cut by the admission limits or, at the latest, at the bot's handshake
            // timeout (10 s). The native bot served the reader and acked the member within about a second
            // in one CI run, before any cut, so the attack goes on until the first one (bounded).
            await Poll.UntilAsync(() => attack.Counts().SilentClosedByBot > 0, TimeSpan.FromSeconds(60));
            counts = attack.Counts();
            output.WriteLine($"last member note: {attack.LastMemberError}");
        }
        var peak = Math.Max(rss.PeakKiB, RssSampler.ReadKiB(bot.Process.Id, "VmHWM:") ?? 0);
        output.WriteLine($"bot RSS peak {peak / 1024} MiB over {rss.Samples} samples; attackers: {counts}");

        Assert.True(peak < MemoryBoundKiB, $"the bot's RSS peaked at {peak / 1024} MiB");
        Assert.True(counts.SilentClosedByBot > 0, "the bot closed silent connections");
        Assert.True(counts.FramesDeclared > 0 && counts.OversizedClosedByBot == counts.FramesDeclared, $"every declared 8 MiB frame was cut: {counts}");
        var limits = new Cabal.Multifeed.Sets.MultifeedOptions();
        var allowance = (limits.NewFeedBurst + limits.NewFeedsPerMinute * (attackTime.Elapsed.TotalMinutes + 1)) * counts.ManifestMemberConnections;
        Assert.True(counts.FeedsRequestedByBot <= allowance, $"the bot asked only for its allowance of the offer ({allowance:0}): {counts}");

        // Afterwards the bot's store holds none of the 100,000 offered keys: they were empty, so probed, not stored.
        botRunning = false;
        await bot.DisposeAsync();
        var offered = FloodAttackOptions.ManifestKeysOf(options.ManifestSeed, options.ManifestKeys).ToHashSet(StringComparer.Ordinal);
        var feeds = await CabalProgram.RunAsync(TimeSpan.FromMinutes(1), "feeds", key, "--data", botDir, "--json");
        feeds.AssertExit(0);
        var held = feeds.Json().Select(f => f.GetProperty("feed").GetString()!).ToList();
        Assert.True(held.Count >= Feeds + 1, $"the bot holds its {Feeds} feeds and the new member's: {held.Count}");
        Assert.DoesNotContain(held, offered.Contains);
        }
        finally
        {
            if (botRunning) await bot.DisposeAsync();
        }
    }
}
