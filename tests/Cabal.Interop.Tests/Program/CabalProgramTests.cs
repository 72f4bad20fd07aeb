using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cabal.Interop.Tests.Js;
using Cabal.Tests;
using Xunit.Abstractions;

namespace Cabal.Interop.Tests.Program;

// The built `cabal` program in child processes, against real JS cabal-core peers and against itself,
// over TCP on 127.0.0.1: the seeding bot serves a cabal alone, acknowledges what it stored, survives
// SIGTERM mid-sync, is found again after a restart, is found on the LAN without --peer, and serves
// every cabal it seeds on one port.
// One class, so the tests run one after another: two of them measure timing.
public sealed partial class CabalProgramTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(20);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Str(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>A cabal made by the program in <paramref name="dataDir"/>, with a nick and messages (no network).</summary>
    private static async Task<string> PrepareCabalAsync(string dataDir, string nick, params string[] texts)
    {
        var key = await CabalProgram.NewCabalAsync(dataDir);
        (await CabalProgram.RunAsync(Short, "nick", key, nick, "--data", dataDir, "--no-lan")).AssertExit(0);
        foreach (var t in texts)
            (await CabalProgram.RunAsync(Short, "send", key, "--data", dataDir, "--no-lan", "--text", t)).AssertExit(0);
        return key;
    }

    [Fact]
    public async Task BotAloneServesEverythingAJsPeerPublished()
    {
        string[] said = ["one", "two", "three", "four ✓ ünï"];
        var js = JsPeer.Start("cabal-peer.js", ["--listen", "0", "--nick", "alice", .. said.SelectMany(s => new[] { "--say", "default:" + s }), "--timeout", "60"]);
        await using var jsGuard = new Cleanup(() => js.DisposeAsync());
        var ready = await js.WaitForEventAsync("ready", Short);
        var key = ready.GetProperty("key").GetString()!;
        var jsFeed = ready.GetProperty("localKey").GetString()!;
        var jsPort = await js.ListeningPortAsync(Short);

        await using var bot = await SeedBot.StartAsync(key, _dir.Sub("bot"), null, "--peer", $"127.0.0.1:{jsPort}", "--listen", "0", "--no-lan", "--status-interval", "0.2");
        await bot.WaitForEventAsync("peer-connected", Short, e => e.GetProperty("peer").GetString() == jsFeed);
        // nick + 4 messages from the JS feed, all stored and indexed.
        await bot.WaitForEventAsync("status", Short, e => e.GetProperty("blocks").GetUInt64() >= 5 && e.GetProperty("indexed").GetInt64() >= 5);

        await jsGuard.DisposeAsync(); // the JS peer is gone: from now on the bot is the only source
        await bot.WaitForEventAsync("peer-disconnected", Short, e => e.GetProperty("peer").GetString() == jsFeed);

        var read = await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), "read", key, "--data", _dir.Sub("fresh"), "--join", "--peer", $"127.0.0.1:{bot.Port}", "--no-lan", "--json", "--timeout", "15");
        read.AssertExit(0);
        Assert.DoesNotContain("not in sync", read.Stderr);
        var messages = read.Json();
        Assert.Equal(said, messages.Select(CabalProgram.Text));
        Assert.All(messages, m =>
        {
            Assert.Equal(jsFeed, m.GetProperty("feed").GetString());
            Assert.Equal("chat/text", m.GetProperty("type").GetString());
            Assert.Equal("default", m.GetProperty("content").GetProperty("channel").GetString());
            Assert.Equal("alice", m.GetProperty("nick").GetString());
        });
        Assert.Equal([1UL, 2, 3, 4], messages.Select(m => m.GetProperty("seq").GetUInt64()));
        output.WriteLine($"read from the bot alone: {messages.Count} messages in {read.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task SendWaitsForTheBotsAckAndTimesOutWithoutPeers()
    {
        var key = await CabalProgram.NewCabalAsync(_dir.Sub("alice"));
        var botDir = _dir.Sub("bot");
        await using var bot = await SeedBot.StartAsync(key, botDir, null, "--listen", "0", "--no-lan", "--status-interval", "0.2");

        var send = await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), "send", key, "--data", _dir.Sub("alice"), "--text", "delivered?",
            "--wait-ack", "1", "--peer", $"127.0.0.1:{bot.Port}", "--no-lan", "--timeout", "20");
        send.AssertExit(0);
        Assert.Contains("stored by 1 peer(s)", send.Stderr);

        // The ack means stored: SIGKILL the bot at once (no shutdown, nothing flushed) and the
        // message is still in its data directory.
        bot.Process.KillHard();
        await bot.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var held = await CabalProgram.ReadLocalAsync(key, botDir);
        Assert.Equal(["delivered?"], held.Select(CabalProgram.Text));

        // Nobody to ack: exit code 2 (ExitCodes.Timeout) after --timeout.
        var alone = await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), "send", key, "--data", _dir.Sub("alice"), "--text", "anyone?",
            "--wait-ack", "1", "--peer", $"127.0.0.1:{CabalProgram.ClosedPort()}", "--no-lan", "--timeout", "3");
        alone.AssertExit(2);
        Assert.Contains("0 of 1 peers", alone.Stderr);
        Assert.InRange(alone.Elapsed.TotalSeconds, 2.9, 15);
        // It was still published locally.
        Assert.Equal(["delivered?", "anyone?"], (await CabalProgram.ReadLocalAsync(key, _dir.Sub("alice"))).Select(CabalProgram.Text));
    }

    [Fact]
    public async Task SigtermMidSyncKeepsWhatWasStoredAndARestartCompletes()
    {
        const int Count = 4000;
        await using var js = JsPeer.Start("cabal-peer.js", "--listen", "0", "--stdin", "--timeout", "80");
        var ready = await js.WaitForEventAsync("ready", Short);
        var key = ready.GetProperty("key").GetString()!;
        var jsFeed = ready.GetProperty("localKey").GetString()!;
        var jsPort = await js.ListeningPortAsync(Short);
        for (var i = 0; i < Count; i++)
            await js.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { type = "chat/text", content = new { channel = "default", text = $"m {i}" } }));
        js.StandardInput.Close();
        var end = await js.WaitForEventAsync("stdin-end", TimeSpan.FromSeconds(40));
        Assert.Equal(Count, end.GetProperty("published").GetInt32());

        var botDir = _dir.Sub("bot");
        string[] botArgs = ["--peer", $"127.0.0.1:{jsPort}", "--listen", "0", "--no-lan", "--status-interval", "0.05"];
        ulong reported;
        await using (var bot = await SeedBot.StartAsync(key, botDir, null, botArgs))
        {
            var status = await bot.WaitForEventAsync("status", Short, e => e.GetProperty("blocks").GetUInt64() > 0);
            var clock = Stopwatch.StartNew();
            bot.Process.Signal(15);
            var code = await bot.Process.WaitForExitAsync(TimeSpan.FromSeconds(15));
            output.WriteLine($"SIGTERM at blocks {status.GetProperty("blocks")}/{status.GetProperty("knownBlocks")}; exited {code} after {clock.ElapsedMilliseconds} ms");
            Assert.True(code == 0, $"exit code {code}\nstderr:\n{bot.Process.StandardError}");
            Assert.True(status.GetProperty("blocks").GetUInt64() < status.GetProperty("knownBlocks").GetUInt64(), "the signal should land in the middle of the sync");
            await bot.DrainAsync(TimeSpan.FromSeconds(5));
            Assert.Contains(bot.Events, e => e.GetProperty("event").GetString() == "exit");
            reported = bot.Statuses.Max(e => e.GetProperty("blocks").GetUInt64());
        }

        // Reopened: at least everything the bot reported stored, and what it holds is indexed and readable.
        var info = await CabalProgram.RunAsync(Short, "info", key, "--data", botDir, "--json");
        info.AssertExit(0);
        var feeds = JsonDocument.Parse(Assert.Single(info.Stdout)).RootElement.GetProperty("feeds").EnumerateArray().ToList();
        var held = feeds.Sum(f => (long)f.GetProperty("downloaded").GetUInt64());
        var jsHeld = feeds.Single(f => f.GetProperty("key").GetString() == jsFeed).GetProperty("downloaded").GetUInt64();
        output.WriteLine($"reported {reported} blocks; the reopened store holds {held} ({jsHeld} of {Count} from the JS feed)");
        Assert.True((ulong)held >= reported, $"reported {reported} stored, reopened store holds {held}");
        var partial = await CabalProgram.ReadLocalAsync(key, botDir, limit: Count + 10);
        output.WriteLine($"{partial.Count} of them readable as messages after reopening");
        Assert.InRange((ulong)partial.Count, 1UL, jsHeld);
        Assert.All(partial, m => Assert.Matches("^m [0-9]+$", CabalProgram.Text(m)));

        // Restarted, it carries on to the full set.
        await using (var bot = await SeedBot.StartAsync(key, botDir, null, botArgs))
        {
            await bot.WaitForEventAsync("status", TimeSpan.FromSeconds(40), e => e.GetProperty("blocks").GetUInt64() >= Count && e.GetProperty("blocks").GetUInt64() == e.GetProperty("knownBlocks").GetUInt64());
            bot.Process.Signal(15);
            Assert.Equal(0, await bot.Process.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }
        var all = await CabalProgram.ReadLocalAsync(key, botDir, limit: Count + 10);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"m {i}"), all.Select(CabalProgram.Text));
    }

    [GeneratedRegex(@"Dialling 127\.0\.0\.1:(\d+) \(attempt (\d+)\)")]
    private static partial Regex DialLine();

    [Fact]
    public async Task ReaderRedialsARestartedBotWithinItsBackoff()
    {
        var botDir = _dir.Sub("bot");
        var key = await PrepareCabalAsync(botDir, "botty", "r1", "r2");

        int port;
        await using (var first = await SeedBot.StartAsync(key, botDir, null, "--listen", "0", "--no-lan"))
        {
            port = first.Port;
            first.Process.KillHard(); // crashes: the reader below starts while nothing listens
            await first.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        var env = new Dictionary<string, string> { ["CABAL_LOG"] = "Debug" };
        await using var reader = CabalProgram.Start(env, "read", key, "--data", _dir.Sub("reader"), "--join", "--peer", $"127.0.0.1:{port}", "--no-lan", "--json", "--timeout", "20");
        int Dials() => DialLine().Matches(reader.StandardError).Count(m => m.Groups[1].Value == Str(port));
        // Base 250 ms doubling (with jitter): 4 attempts take about 1–2 s.
        await Loopback.Eventually(() => Dials() >= 4, "four dial attempts while the bot is down", TimeSpan.FromSeconds(10));
        var downDials = Dials();

        await using var bot = await SeedBot.StartAsync(key, botDir, null, "--listen", Str(port), "--no-lan");
        Assert.Equal(port, bot.Port);
        var back = Stopwatch.StartNew();
        await bot.WaitForEventAsync("peer-connected", TimeSpan.FromSeconds(15));
        var reconnectedAfter = back.Elapsed;

        var lines = new List<string>();
        while (await reader.ReadLineAsync(TimeSpan.FromSeconds(25)) is { } line) lines.Add(line);
        var code = await reader.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(code == 0, $"exit code {code}\nstderr:\n{reader.StandardError}");
        var messages = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["r1", "r2"], messages.Select(CabalProgram.Text));
        Assert.All(messages, m => Assert.Equal("botty", m.GetProperty("nick").GetString()));

        var dials = DialLine().Matches(reader.StandardError).Where(m => m.Groups[1].Value == Str(port)).Select(m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).ToList();
        output.WriteLine($"{downDials} dials while down; {dials.Count} in all; reconnected {reconnectedAfter.TotalMilliseconds:F0} ms after the bot was back");
        Assert.Equal(Enumerable.Range(1, dials.Count), dials); // one dial loop, attempts numbered 1, 2, 3…
        // At least the failed ones plus the one that got through; at most one round (MaxAttempts 8):
        // a second round would only start after the 5-minute cooldown.
        Assert.InRange(dials.Count, downDials + 1, 8);
        // The next attempt comes within one maximum backoff delay (8 s) of the bot being back.
        Assert.True(reconnectedAfter < TimeSpan.FromSeconds(8 + 2), $"reconnected only {reconnectedAfter} after the restart");
    }

    [Fact]
    public async Task TwoProcessesFindEachOtherOnTheLan()
    {
        var botDir = _dir.Sub("bot");
        var key = await PrepareCabalAsync(botDir, "lanbot", "over multicast");

        // Discovery confined to this host: the group is joined and sent on 127.0.0.1 with TTL 0, on a
        // UDP port of our own so other processes on the host neither see nor disturb it.
        int udpPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            udpPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        var env = new Dictionary<string, string> { ["CABAL_LAN_INTERFACE"] = "127.0.0.1", ["CABAL_LAN_PORT"] = Str(udpPort) };

        await using var bot = await SeedBot.StartAsync(key, botDir, env, "--listen", "0");
        var read = await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), env, "read", key, "--data", _dir.Sub("reader"), "--join", "--json", "--timeout", "15");
        read.AssertExit(0);
        Assert.DoesNotContain("not in sync", read.Stderr);
        var messages = read.Json();
        Assert.Equal(["over multicast"], messages.Select(CabalProgram.Text));
        Assert.Equal("lanbot", messages[0].GetProperty("nick").GetString());
        var connected = await bot.WaitForEventAsync("peer-connected", Short);
        Assert.StartsWith("127.0.0.1:", connected.GetProperty("address").GetString());
        output.WriteLine($"found and read over the LAN in {read.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task ARestartedBotRedialsThePeerItWasGivenWithoutBeingToldAgain()
    {
        // An operator's bot given --peer once finds that peer again after a restart, as the client does.
        var key = await PrepareCabalAsync(_dir.Sub("alice"), "alice", "kept");
        await using var other = await SeedBot.StartAsync(key, _dir.Sub("alice"), null, "--listen", "0", "--no-lan");
        var botDir = _dir.Sub("bot");
        await using (var first = await SeedBot.StartAsync(key, botDir, null, "--listen", "0", "--no-lan", "--peer", $"127.0.0.1:{other.Port}"))
        {
            var connected = await first.WaitForEventAsync("peer-connected", Short);
            Assert.Equal("--peer", connected.GetProperty("source").GetString());
        }

        await using var again = await SeedBot.StartAsync(key, botDir, null, "--listen", "0", "--no-lan");
        var redialled = await again.WaitForEventAsync("peer-connected", Short);
        Assert.Equal("remembered", redialled.GetProperty("source").GetString());
        Assert.Equal($"127.0.0.1:{other.Port}", redialled.GetProperty("address").GetString());
    }

    [Fact]
    public async Task OneBotPortServesEveryCabalItSeeds()
    {
        // The first cabal: a C# user with a message to deliver. The second: one a JS peer publishes into.
        var first = await PrepareCabalAsync(_dir.Sub("alice"), "alice");
        var second = await CabalProgram.NewCabalAsync(_dir.Sub("second"));
        var botDir = _dir.Sub("bot");
        await using var bot = await SeedBot.StartAsync(first, botDir, null, second, "--listen", "0", "--no-lan", "--status-interval", "0.2");
        Assert.Equal(2, bot.Events.Count(e => e.GetProperty("event").GetString() == "seeding"));

        // A JS cabal-core peer dials the bot's one port for the second cabal (before, only the first
        // cabal was on the --listen port) and publishes there.
        var js = JsPeer.Start("cabal-peer.js", ["--connect", $"127.0.0.1:{bot.Port}", "--key", second, "--nick", "bob", "--say", "default:through the shared port", "--timeout", "60"]);
        await using var jsGuard = new Cleanup(() => js.DisposeAsync());
        var jsFeed = (await js.WaitForEventAsync("ready", Short)).GetProperty("localKey").GetString()!;
        await bot.WaitForEventAsync("peer-connected", Short, e => e.GetProperty("cabal").GetString() == second && e.GetProperty("peer").GetString() == jsFeed);
        await bot.WaitForEventAsync("status", Short, e => e.GetProperty("cabal").GetString() == second && e.GetProperty("indexed").GetInt64() >= 2);

        // The first cabal on the same port: delivered and acknowledged by the bot.
        var send = await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), "send", first, "--data", _dir.Sub("alice"), "--text", "for the first cabal",
            "--wait-ack", "1", "--peer", $"127.0.0.1:{bot.Port}", "--no-lan", "--timeout", "20");
        send.AssertExit(0);
        Assert.Contains("stored by 1 peer(s)", send.Stderr);
        await bot.WaitForEventAsync("peer-connected", Short, e => e.GetProperty("cabal").GetString() == first);

        // What the JS peer said is served from the bot alone, through the same port.
        await jsGuard.DisposeAsync();
        var read = await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), "read", second, "--data", _dir.Sub("reader"), "--join", "--peer", $"127.0.0.1:{bot.Port}", "--no-lan", "--json", "--timeout", "15");
        read.AssertExit(0);
        var message = Assert.Single(read.Json());
        Assert.Equal("through the shared port", CabalProgram.Text(message));
        Assert.Equal("bob", message.GetProperty("nick").GetString());
        Assert.Equal(jsFeed, message.GetProperty("feed").GetString());
    }
}

/// <summary>Runs a dispose action once, whether called early or by `await using`.</summary>
internal sealed class Cleanup(Func<ValueTask> dispose) : IAsyncDisposable
{
    private int _done;

    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _done, 1) == 0 ? dispose() : ValueTask.CompletedTask;
}
