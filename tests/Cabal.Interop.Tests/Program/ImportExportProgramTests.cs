using System.Globalization;
using System.Text.Json;
using Cabal.Interop.Tests.Chat;
using Cabal.Interop.Tests.Js;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

// `cabal import` and `cabal export` through the built program, against storage the real JS stack
// wrote (cabal-peer.js --storage, make-cabal.js) and read back by it. Offline: every JS peer listens
// on 127.0.0.1 and nobody connects; every `cabal` run passes --no-lan or opens no network.
public sealed class ImportExportProgramTests : JsInteropTest
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Long = ChatPeer.Long;

    private static Task<RunResult> Cabal(params string[] args) => CabalProgram.RunAsync(Run, args);

    private static JsonElement Single(RunResult r) => Assert.Single(r.Json());

    [Fact]
    public async Task AJsCabalImportsWithItsIdentityAndReadsOfflineWithEverything()
    {
        var jsDir = Dir.Sub("js");
        var data = Dir.Sub("data");
        var bob = Convert.ToHexStringLower(Ed25519.NewKeyPair().PublicKey);
        string key, jsLocal;
        await using (var js = JsPeer.Start("cabal-peer.js", "--listen", "0", "--storage", jsDir, "--nick", "alice", "--topic", "default:welcome",
            "--stdin", "--raw", "--timeout", "120"))
        {
            (key, jsLocal) = await CabalPeerJs.ReadyAsync(js);
            var pm = await ChatFromJsTests.JsBoxAsync($$"""{"timestamp":1700000000001,"type":"chat/text","content":{"text":"psst bob","channel":"{{bob}}"},"private":true}""", bob, jsLocal);
            await CabalPeerJs.PublishAsync(js, 5,
                """{"type":"chat/text","content":{"channel":"default","text":"hello from js"},"timestamp":1700000000000}""",
                """{"type":"channel/join","content":{"channel":"default"},"timestamp":1700000000002}""",
                $$"""{"type":"flags/add","content":{"id":"{{bob}}","flags":["hide"],"channel":"@","reason":"spam"},"timestamp":1700000000003}""",
                $$"""{"type":"encrypted","content":"{{pm}}"}""");

            // While cabal-core runs on the store it is refused, and nothing is stored.
            var busy = await Cabal("import", jsDir, "--key", key, "--data", data, "--json");
            busy.AssertExit(75);
            var refused = Single(busy);
            Assert.True(refused.GetProperty("refused").GetBoolean());
            Assert.Equal("Locked", refused.GetProperty("problems")[0].GetProperty("kind").GetString());
            Assert.Contains("still open", refused.GetProperty("problems")[0].GetProperty("reason").GetString());
            Assert.StartsWith($"cabal: not importing {jsDir}: the store is still open", busy.Stderr);
            Assert.Contains("(node)", busy.Stderr);
        }
        var before = Snapshot(jsDir);

        var import = await Cabal("import", jsDir, "--key", key, "--data", data, "--json");
        import.AssertExit(0);
        var report = Single(import);
        Assert.Equal((1, 6UL, true, true), (report.GetProperty("feedsImported").GetInt32(), report.GetProperty("newBlocks").GetUInt64(),
            report.GetProperty("identityAdopted").GetBoolean(), report.GetProperty("canReadPrivateMessages").GetBoolean()));
        Assert.Equal(jsLocal, report.GetProperty("localKey").GetString());
        Assert.Equal(before, Snapshot(jsDir)); // the source is only read

        var info = Single(await Cabal("info", key, "--data", data, "--json"));
        Assert.Equal(jsLocal, info.GetProperty("localKey").GetString());
        Assert.True(info.GetProperty("canReadPrivateMessages").GetBoolean());
        Assert.Equal([bob], info.GetProperty("hidden").EnumerateArray().Select(h => h.GetString()));
        var channel = Assert.Single(info.GetProperty("channels").EnumerateArray());
        Assert.Equal(("default", "welcome"), (channel.GetProperty("name").GetString(), channel.GetProperty("topic").GetString()));
        var feed = Assert.Single(info.GetProperty("feeds").EnumerateArray());
        Assert.Equal(("alice", true), (feed.GetProperty("nick").GetString(), feed.GetProperty("local").GetBoolean()));

        var messages = await CabalProgram.ReadLocalAsync(key, data);
        Assert.Equal(["hello from js", "welcome"], messages.Select(CabalProgram.Text)); // oldest first: the JS post is dated 2023
        Assert.All(messages, m => Assert.Equal(("alice", jsLocal), (m.GetProperty("nick").GetString(), m.GetProperty("feed").GetString())));
        var pmRead = await Cabal("read", key, "--private", bob, "--data", data, "--no-lan", "--offline", "--json");
        pmRead.AssertExit(0);
        var sent = Single(pmRead);
        Assert.Equal(("psst bob", jsLocal, 5UL), (CabalProgram.Text(sent), sent.GetProperty("feed").GetString(), sent.GetProperty("seq").GetUInt64()));

        // Idempotent: again adds nothing; and we keep posting on the JS user's feed.
        var again = Single(await Cabal("import", jsDir, "--key", key, "--data", data, "--json"));
        Assert.Equal((0UL, jsLocal), (again.GetProperty("newBlocks").GetUInt64(), again.GetProperty("localKey").GetString()));
        var send = await Cabal("send", key, "--data", data, "--no-lan", "--text", "now from c#");
        send.AssertExit(0);
        Assert.Contains($"published {jsLocal}@6", send.Stderr);
    }

    [Fact]
    public async Task AnExportOpensInCabalCoreAsItsOwnAndKeepsPostingAsTheSameUser()
    {
        var data = Dir.Sub("data");
        var key = await CabalProgram.NewCabalAsync(data);
        (await Cabal("nick", key, "carol", "--data", data, "--no-lan")).AssertExit(0);
        (await Cabal("topic", key, "our topic", "--data", data, "--no-lan")).AssertExit(0);
        foreach (var text in new[] { "first", "second" }) (await Cabal("send", key, "--data", data, "--no-lan", "--text", text)).AssertExit(0);
        var local = Single(await Cabal("info", key, "--data", data, "--json")).GetProperty("localKey").GetString()!;

        var export = Dir.Sub("export");
        var run = await Cabal("export", key, export, "--data", data, "--json");
        run.AssertExit(0);
        var report = Single(run);
        Assert.Equal((1, local, true), (report.GetProperty("feeds").GetInt32(), report.GetProperty("localKey").GetString(), report.GetProperty("withSecretKey").GetBoolean()));
        var length = report.GetProperty("blocks").GetUInt64();

        var js = Track(JsPeer.Start("cabal-peer.js", "--listen", "0", "--storage", export, "--key", key, "--say", "default:and now from js", "--dump", "--timeout", "15"));
        var ready = await js.WaitForEventAsync("ready", Long);
        Assert.Equal((local, length), (ready.GetProperty("localKey").GetString(), ready.GetProperty("localLength").GetUInt64()));
        Assert.Equal(length, (await js.WaitForEventAsync("published", Long)).GetProperty("seq").GetUInt64());
        var state = await js.WaitForEventAsync("state", TimeSpan.FromSeconds(180));
        Assert.Equal("carol", CabalPeerJs.Users(state)[local]);
        Assert.Equal("our topic", state.GetProperty("topics").GetProperty("default").GetString());
        Assert.Equal(4, CabalPeerJs.Messages(state, "default").Length); // "and now from js", "second", "first", the topic
        Assert.Equal(0, await js.WaitForExitAsync(Long));

        // A fresh in-memory JS peer syncing from it: hypercore verifies every block it downloads and one
        // bad proof drops the connection, so reaching --expect (ours plus the JS post) means all verified.
        await using (var server = JsPeer.Start("cabal-peer.js", "--listen", "0", "--storage", export, "--key", key, "--timeout", "120"))
        {
            var port = await server.ListeningPortAsync(Long);
            await using var client = JsPeer.Start("cabal-peer.js", "--connect", $"127.0.0.1:{port}", "--key", key, "--expect", (length + 1).ToString(CultureInfo.InvariantCulture), "--timeout", "120");
            await client.WaitForEventAsync("expect-met", TimeSpan.FromSeconds(180));
            Assert.Equal(0, await client.WaitForExitAsync(Long));
            Assert.DoesNotContain(client.Events, e => e.GetProperty("event").GetString() == "error");
        } // the server has the store open: the import below would be refused while it runs

        // And back: importing what cabal-core wrote brings its post into our writer.
        var back = Single(await Cabal("import", export, "--key", key, "--data", data, "--json"));
        Assert.Equal((1UL, local), (back.GetProperty("newBlocks").GetUInt64(), back.GetProperty("localKey").GetString()));
        Assert.Equal("and now from js", CabalProgram.Text((await CabalProgram.ReadLocalAsync(key, data))[^1]));
    }

    [Fact]
    public async Task DamagedFeedsAreReportedAndSkippedAndEveryOtherFeedIsImported()
    {
        var dir = Dir.Sub("cabal");
        var make = Track(JsPeer.Start("make-cabal.js", "--feeds", "8", "--messages", "3", "--dir", dir, "--timeout", "120"));
        var key = (await make.WaitForEventAsync("done", Long)).GetProperty("key").GetString()!;
        Assert.Equal(0, await make.WaitForExitAsync(Long));
        // Where cabal-cli keeps it, named by its key: `cabal import` without a path finds it.
        var home = Dir.Sub("home");
        var archives = Path.Combine(home, ".cabal", "v1", "archives");
        Directory.CreateDirectory(archives);
        var store = Path.Combine(archives, key);
        Directory.Move(dir, store);

        var data = Path.Combine(store, "1", "data");
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..^7]);                    // truncated data
        Flip(Path.Combine(store, "2", "tree"), 32 + 5);                              // a leaf hash in tree
        var signatures = Path.Combine(store, "3", "signatures");                    // every signature
        for (var at = 32 + 10; at < new FileInfo(signatures).Length; at += 64) Flip(signatures, at);
        File.Delete(Path.Combine(store, "4", "key"));                               // a missing key

        var run = await CabalProgram.RunAsync(Run, new Dictionary<string, string> { ["HOME"] = home }, "import", "--data", Dir.Sub("data"), "--json");
        run.AssertExit(3);
        var report = Single(run);
        Assert.Equal((9, 5), (report.GetProperty("feeds").GetInt32(), report.GetProperty("feedsImported").GetInt32()));
        var problems = report.GetProperty("problems").EnumerateArray().ToDictionary(p => p.GetProperty("slot").GetString()!, p => p.GetProperty("kind").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["1"] = "BadData", ["2"] = "BadTree", ["3"] = "BadSignature", ["4"] = "MissingKey" }, problems);
        Assert.True(report.GetProperty("identityAdopted").GetBoolean());

        var text = await Cabal("import", archives, "--data", Dir.Sub("data"));
        text.AssertExit(3);
        Assert.Contains(text.Stdout, l => l.Contains("problem  feed 1: BadData:", StringComparison.Ordinal));
        var info = Single(await Cabal("info", key, "--data", Dir.Sub("data"), "--json"));
        Assert.Equal(5, info.GetProperty("feeds").GetArrayLength());
    }

    [Fact]
    public async Task ImportingIntoADataDirectoryARunningNodeHoldsIsRefused()
    {
        var data = Dir.Sub("data");
        var key = await CabalProgram.NewCabalAsync(data);
        var source = Dir.Sub("export");
        (await Cabal("export", key, source, "--data", data)).AssertExit(0);
        var target = Dir.Sub("target");
        var other = await CabalProgram.NewCabalAsync(target);

        await using (var bot = await SeedBot.StartAsync(other, target, null, "--listen", "0", "--no-lan"))
        {
            var refused = await Cabal("import", source, "--key", key, "--data", target);
            refused.AssertExit(75);
            Assert.Contains("has the data directory", refused.Stderr);
            Assert.Empty(refused.Stdout);
        }
        (await Cabal("import", source, "--key", key, "--data", target)).AssertExit(0);
    }

    [Fact]
    public async Task BadArgumentsAreRefusedBeforeAnythingIsCreated()
    {
        var data = Dir.Sub("data");
        var empty = Dir.Sub("empty");
        Directory.CreateDirectory(empty);
        var unnamed = Dir.Sub("unnamed");
        Directory.CreateDirectory(Path.Combine(unnamed, "0"));
        var key = new string('a', 64);

        async Task Refused(int code, string message, params string[] args)
        {
            var r = await Cabal(args);
            r.AssertExit(code);
            Assert.Contains(message, r.Stderr);
            Assert.Single(r.Stderr.Trim().Split('\n')); // one line
        }
        await Refused(64, "no such directory", "import", Dir.Sub("nowhere"), "--data", data);
        await Refused(64, "holds no cabal storage", "import", empty, "--data", data);
        await Refused(64, "pass it with --key", "import", unnamed, "--data", data);
        await Refused(64, "exactly one PATH", "import", unnamed, empty, "--key", key, "--data", data);
        await Refused(65, "not a cabal key", "import", unnamed, "--key", "nope", "--data", data);
        await Refused(65, "not a cabal key", "export", "nope", Dir.Sub("out"), "--data", data);
        await Refused(64, "is not empty", "export", key, unnamed, "--data", data);
        await Refused(1, "holds no cabals", "export", key, Dir.Sub("out"), "--data", data);
        Assert.False(Directory.Exists(data));
        Assert.False(Directory.Exists(Dir.Sub("out")));

        await CabalProgram.NewCabalAsync(data);
        await Refused(1, $"holds no cabal {key}", "export", key, Dir.Sub("out"), "--data", data);
        Assert.False(Directory.Exists(Dir.Sub("out")));
    }

    private static void Flip(string file, long offset)
    {
        using var f = File.Open(file, FileMode.Open, FileAccess.ReadWrite);
        f.Position = offset;
        var b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)(b ^ 0x40));
    }

    private static string Snapshot(string dir)
        => string.Join('\n', Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetRelativePath(dir, f)} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))} {File.GetLastWriteTimeUtc(f).Ticks.ToString(CultureInfo.InvariantCulture)}"));
}
