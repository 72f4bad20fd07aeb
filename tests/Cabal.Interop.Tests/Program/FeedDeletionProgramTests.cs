using System.Globalization;
using System.Text;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Multifeed;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Cabal.Tests;
using Xunit.Abstractions;

namespace Cabal.Interop.Tests.Program;

// `cabal feeds`, `cabal feeds rm`, `cabal forget` and `cabal compact` (issue 20, "deleting feeds and
// cabals"), run as the program, and a SIGKILL campaign over feed deletion and compaction: after
// every kill the store opens clean, every other feed is whole, and a feed being deleted is either
// whole or gone (its purge resumes at the next open).
public sealed class FeedDeletionProgramTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed record Layout(string Key, string Local, string Bob, List<string> Victims, int VictimLength);

    /// <summary>A data directory holding one cabal: our writer, bob's feed (nick, 50 messages) and victim feeds of many blocks.</summary>
    private static async Task<Layout> MakeCabalAsync(string data, int victims, int victimLength)
    {
        var url = CabalUrl.Generate();
        await using var store = FeedStore.Open(Path.Combine(data, "feeds"), new FeedStoreOptions { Durable = false });
        string local;
        await using (var core = await CabalCore.OpenAsync(store, url, new CabalOptions { Durable = false }))
        {
            local = core.LocalKey;
            await core.SetNickAsync("me");
        }
        var bob = await store.CreateWritableAsync(Ed25519.NewKeyPair(), "bob", url.Key);
        var ts = 1_700_000_000_000L;
        await bob.AppendAsync(Encoding.UTF8.GetBytes($$"""{"type":"about","content":{"name":"bob"},"timestamp":{{ts}}}"""));
        for (var i = 1; i < 50; i++)
            await bob.AppendAsync(Encoding.UTF8.GetBytes($$"""{"type":"chat/text","content":{"channel":"default","text":"bob {{i}}"},"timestamp":{{ts + i * 1000}}}"""));
        var names = new List<string>();
        for (var v = 0; v < victims; v++)
        {
            var feed = await store.CreateWritableAsync(Ed25519.NewKeyPair(), "victim", url.Key);
            for (var i = 0; i < victimLength; i += 2000)
                await feed.AppendBatchAsync(Enumerable.Range(i, Math.Min(2000, victimLength - i)).Select(n =>
                    (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($$"""{"type":"chat/text","content":{"channel":"spam","text":"{{n}}"},"timestamp":{{ts + n}}}""")).ToList());
            names.Add(feed.KeyHex);
        }
        return new Layout(url.KeyHex, local, bob.KeyHex, names, victimLength);
    }

    [Fact]
    public async Task FeedsListsAndRmDeletesForGoodWithoutTouchingTheRest()
    {
        var data = _dir.Sub("d");
        var c = await MakeCabalAsync(data, victims: 1, victimLength: 100);

        var list = await CabalProgram.RunAsync(Run, "feeds", c.Key, "--data", data, "--json");
        list.AssertExit(0);
        var rows = list.Json().ToDictionary(r => r.GetProperty("feed").GetString()!);
        Assert.Equal(3, rows.Count);
        Assert.Equal("bob", rows[c.Bob].GetProperty("nick").GetString());
        Assert.Equal(50UL, rows[c.Bob].GetProperty("length").GetUInt64());
        Assert.True(rows[c.Bob].GetProperty("bytes").GetUInt64() > 50 * 50);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000L + 49_000), DateTimeOffset.Parse(rows[c.Bob].GetProperty("lastActivity").GetString()!, CultureInfo.InvariantCulture));
        Assert.True(rows[c.Local].GetProperty("local").GetBoolean());

        // Our own feed is refused, as are keys the directory lacks; nothing is deleted either way.
        (await CabalProgram.RunAsync(Run, "feeds", "rm", c.Local, "--data", data)).AssertExit(64);
        (await CabalProgram.RunAsync(Run, "feeds", "rm", c.Victims[0], new string('a', 64), "--data", data)).AssertExit(65);
        (await CabalProgram.RunAsync(Run, "feeds", "rm", c.Victims[0], "--data", data)).AssertExit(0);

        await using (var store = FeedStore.Open(Path.Combine(data, "feeds"), new FeedStoreOptions { Durable = false }))
        {
            Assert.Null(store.TryGet(Convert.FromHexString(c.Victims[0])));
            Assert.True(store.IsForgotten(c.Victims[0]));
            Assert.Equal(0, store.PurgesPending);
            Assert.Equal(50UL, store.TryGet(Convert.FromHexString(c.Bob))!.Contiguous);
        }
        // Its messages left the views (rebuilt); bob's are all there.
        var read = await CabalProgram.RunAsync(Run, "read", c.Key, "--data", data, "--offline", "--json", "--channel", "spam");
        Assert.DoesNotContain(read.Stdout, l => l.Contains(c.Victims[0], StringComparison.Ordinal));
        Assert.Equal(49, (await CabalProgram.ReadLocalAsync(c.Key, data, 100)).Count(m => CabalProgram.Text(m).StartsWith("bob ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ForgetNeedsYesAndTheDirectoryAloneThenRemovesEverything()
    {
        var data = _dir.Sub("d");
        var c = await MakeCabalAsync(data, victims: 1, victimLength: 100);
        var other = await MakeCabalAsync(data, victims: 0, victimLength: 0);

        var refused = await CabalProgram.RunAsync(Run, "forget", c.Key, "--data", data);
        refused.AssertExit(64);
        Assert.Contains("--yes", refused.Stderr);

        await using (var bot = await SeedBot.StartAsync(other.Key, data, null, "--no-lan", "--listen", "0"))
        {
            (await CabalProgram.RunAsync(Run, "forget", c.Key, "--yes", "--data", data)).AssertExit(75);
            (await CabalProgram.RunAsync(Run, "compact", "--data", data)).AssertExit(75);
        }

        var done = await CabalProgram.RunAsync(Run, "forget", c.Key, "--yes", "--data", data, "--json");
        done.AssertExit(0);
        Assert.Equal(3, Assert.Single(done.Json()).GetProperty("feeds").GetInt32());
        Assert.False(Directory.Exists(Path.Combine(data, "feeds", "views", c.Key)));
        var list = await CabalProgram.RunAsync(Run, "list", "--data", data, "--json");
        list.AssertExit(0);
        Assert.Equal([other.Key], list.Json().Select(r => r.GetProperty("cabal").GetString()));
        (await CabalProgram.RunAsync(Run, "forget", c.Key, "--yes", "--data", data)).AssertExit(65);

        // The other cabal is whole, and compacting gives the space back.
        var before = new FileInfo(Path.Combine(data, "feeds", "data.mdb")).Length;
        var compact = await CabalProgram.RunAsync(Run, "compact", "--data", data, "--json");
        compact.AssertExit(0);
        Assert.True(new FileInfo(Path.Combine(data, "feeds", "data.mdb")).Length <= before);
        await using var store = FeedStore.Open(Path.Combine(data, "feeds"), new FeedStoreOptions { Durable = false });
        Assert.Equal(50UL, store.TryGet(Convert.FromHexString(other.Bob))!.Contiguous);
        Assert.Empty(store.List(Convert.FromHexString(c.Key)));
    }

    [Fact]
    public async Task SigkillDuringFeedDeletionOrCompactionLosesNothingElse()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"random seed {seed}");
        var random = new Random(seed);
        var data = _dir.Sub("d");
        var c = await MakeCabalAsync(data, victims: 6, victimLength: 20_000);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        var kills = 0;

        async Task Audit(string step)
        {
            await using var store = FeedStore.Open(Path.Combine(data, "feeds"), new FeedStoreOptions { Durable = false });
            Assert.Empty(store.CorruptFeeds);
            var bob = store.TryGet(Convert.FromHexString(c.Bob));
            Assert.True(bob is { Contiguous: 50 }, $"{step}: bob's feed is damaged");
            for (ulong i = 0; i < 50; i++) Assert.True(bob.TryGet(i, out _), $"{step}: bob's block {i} is gone");
            Assert.NotNull(store.TryGet(Convert.FromHexString(c.Local)));
            foreach (var v in c.Victims)
            {
                var feed = store.TryGet(Convert.FromHexString(v));
                if (feed is null) { deleted.Add(v); continue; }
                Assert.False(deleted.Contains(v), $"{step}: deleted feed {v[..8]} came back");
                // Whole: a kill never leaves half a feed listed.
                Assert.Equal((ulong)c.VictimLength, feed.Contiguous);
                Assert.True(feed.TryGet((ulong)random.Next(c.VictimLength), out _), $"{step}: a block of {v[..8]} is gone");
                Assert.True(feed.TryGet((ulong)c.VictimLength - 1, out _), $"{step}: the last block of {v[..8]} is gone");
            }
            await store.WaitForPurgesAsync(); // an interrupted purge finishes here
        }

        // Kill times are drawn from each command's own measured duration, not from fixed bounds: on a fast
        // machine a fixed 150–1500 ms window let most runs finish before the kill, and the campaign tested
        // little. The first run of each kind is left to finish and times it; later runs are killed somewhere
        // between 20% and 95% of the latest duration seen (process start-up included, as the kill cannot
        // tell start-up from work). A run that beats its kill shortens the estimate for the next one.
        var duration = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var attempts = 0;
        for (var round = 0; round < 14; round++)
        {
            var compact = round % 2 == 1;
            // The last victim is kept out of the campaign: the undisturbed run at the end must have
            // something to delete, or a campaign that deleted and compacted everything leaves a final
            // compaction nothing to reclaim.
            var victim = c.Victims.SkipLast(1).FirstOrDefault(v => !deleted.Contains(v));
            string[] args = compact || victim is null ? ["compact", "--data", data] : ["feeds", "rm", victim, "--data", data];
            var kind = args[0];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await using (var p = CabalProgram.Start(args))
            {
                var exited = p.WaitForExitAsync(TimeSpan.FromSeconds(60));
                if (duration.TryGetValue(kind, out var seen))
                {
                    attempts++;
                    var killAt = seen * (0.2 + 0.75 * random.NextDouble());
                    if (await Task.WhenAny(exited, Task.Delay(killAt)) != exited && !p.HasExited) { p.KillHard(); kills++; }
                    else duration[kind] = clock.Elapsed;
                }
                else
                {
                    await exited;
                    duration[kind] = clock.Elapsed;
                }
                try { await exited; } catch (TimeoutException) { p.KillHard(); throw; }
            }
            await Audit($"round {round} ({kind})");
        }
        output.WriteLine($"{kills} kills in {attempts} attempts, {deleted.Count} feeds deleted; last durations: {string.Join(", ", duration.Select(d => $"{d.Key} {d.Value.TotalMilliseconds:F0} ms"))}");
        Assert.True(kills >= attempts / 2, $"only {kills} of {attempts} runs were killed before they finished: the campaign tested little");

        // Undisturbed, both finish: no work directory is left, and the file shrank.
        foreach (var v in c.Victims.Where(v => !deleted.Contains(v)).ToList()) (await CabalProgram.RunAsync(Run, "feeds", "rm", v, "--data", data)).AssertExit(0);
        var before = new FileInfo(Path.Combine(data, "feeds", "data.mdb")).Length;
        (await CabalProgram.RunAsync(Run, "compact", "--data", data)).AssertExit(0);
        Assert.False(Directory.Exists(Path.Combine(data, "feeds", ".compact")));
        Assert.True(new FileInfo(Path.Combine(data, "feeds", "data.mdb")).Length < before, "compaction did not shrink the store");
        await Audit("the end");
        Assert.Equal(c.Victims.Count, deleted.Count);
    }
}
