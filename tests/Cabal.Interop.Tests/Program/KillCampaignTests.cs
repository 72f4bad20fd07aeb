using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Cabal.Multifeed.Storage;
using Cabal.Tests;
using Xunit.Abstractions;

namespace Cabal.Interop.Tests.Program;

// A kill -9 campaign. A sender (`cabal send --stdin --wait-ack 1`) publishes messages to a seeding
// bot that is SIGKILLed at 50 random moments: half while it starts up and recovers, half while it
// receives. After every kill its store is opened and audited: it opens clean, every message the
// sender saw acknowledged is there with the right content, and the bot kept one identity (one
// writable feed, never re-created). At the end every seq the sender published is distinct.
public sealed partial class KillCampaignTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 50;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [GeneratedRegex(@"published ([0-9a-f]{64})@(\d+)")]
    private static partial Regex Published();

    /// <summary>The sender's seqs in order, and those a peer acknowledged (from its stderr: each publish, then its ack or timeout).</summary>
    private static (List<ulong> Published, HashSet<ulong> Acked, string? Feed) Parse(string stderr)
    {
        var published = new List<ulong>();
        var acked = new HashSet<ulong>();
        string? feed = null;
        foreach (var line in stderr.Split('\n'))
        {
            if (Published().Match(line) is { Success: true } m)
            {
                feed = m.Groups[1].Value;
                published.Add(ulong.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            }
            else if (line.Contains("stored by", StringComparison.Ordinal) && published.Count > 0) acked.Add(published[^1]);
        }
        return (published, acked, feed);
    }

    [Fact]
    public async Task EveryAcknowledgedMessageSurvivesFiftySigkills()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"random seed {seed}");
        var random = new Random(seed);
        var senderDir = _dir.Sub("sender");
        var botDir = _dir.Sub("bot");
        var key = await CabalProgram.NewCabalAsync(senderDir);
        var port = CabalProgram.ClosedPort().ToString(CultureInfo.InvariantCulture);
        string? botIdentity = null;
        var next = 0;

        await using var sender = CabalProgram.Start("send", key, "--data", senderDir, "--no-lan", "--stdin", "--wait-ack", "1", "--timeout", "3", "--peer", "127.0.0.1:" + port);
        async Task Feed(int count)
        {
            for (var i = 0; i < count; i++) await sender.StandardInput.WriteLineAsync($"m{next++}");
            await sender.StandardInput.FlushAsync();
        }

        async Task Audit(int round)
        {
            var (_, acked, feedKey) = Parse(sender.StandardError);
            await using var store = FeedStore.Open(Path.Combine(botDir, "feeds"), new FeedStoreOptions { Durable = false });
            Assert.Empty(store.CorruptFeeds);
            var writers = store.Feeds.Where(f => f.Writable).Select(f => f.KeyHex).ToList();
            Assert.True(writers.Count <= 1, $"round {round}: the bot holds {writers.Count} writable feeds");
            if (writers.Count == 1)
            {
                botIdentity ??= writers[0];
                Assert.Equal(botIdentity, writers[0]);
            }
            if (acked.Count == 0) return;
            var copy = store.Feeds.FirstOrDefault(f => f.KeyHex == feedKey);
            Assert.True(copy is not null, $"round {round}: {acked.Count} messages acknowledged, but the bot holds nothing of the sender");
            foreach (var s in acked)
            {
                Assert.True(copy.TryGet(s, out var block), $"round {round}: acknowledged block {s} is missing after SIGKILL");
                Assert.Contains($"\"m{s}\"", Encoding.UTF8.GetString(block));
            }
        }

        for (var round = 0; round < Kills; round++)
        {
            var bot = CabalProgram.Start("seed", key, "--data", botDir, "--no-lan", "--json", "--listen", port, "--status-interval", "60");
            await using (bot)
            {
                await Feed(2);
                if (round % 2 == 0)
                {
                    // While it starts up: opening the store, checking it, binding.
                    await Task.Delay(random.Next(0, 600));
                }
                else
                {
                    // While it receives: after it listens, as the sender's data arrives.
                    try { await bot.WaitForLineAsync(l => l.Contains("\"listening\""), TimeSpan.FromSeconds(20)); }
                    catch (TimeoutException) { }
                    await Task.Delay(random.Next(0, 400));
                }
                bot.KillHard();
                await bot.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            await Audit(round);
        }

        // A last run of the bot lets the sender finish; then no seq was published twice.
        await using (var last = await SeedBot.StartAsync(key, botDir, null, "--no-lan", "--listen", port))
        {
            sender.StandardInput.Close();
            await sender.WaitForExitAsync(TimeSpan.FromSeconds(120));
        }
        await Audit(Kills);
        var (published, ackedAtEnd, _) = Parse(sender.StandardError);
        output.WriteLine($"{published.Count} published, {ackedAtEnd.Count} acknowledged");
        Assert.Equal(published.Count, published.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, next).Select(i => (ulong)i), published);
        Assert.True(ackedAtEnd.Count >= 10, $"only {ackedAtEnd.Count} of {published.Count} messages were acknowledged: the campaign tested little");
    }
}
