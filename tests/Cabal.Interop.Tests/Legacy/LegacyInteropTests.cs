using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Import;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Interop.Tests.Chat;
using Cabal.Interop.Tests.Js;
using Cabal.Interop.Tests.Program;
using Cabal.Multifeed.Legacy;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Legacy;

// Moving in from the JS cabal and back out, against the real JS stack (cabal-core 16 on
// random-access-file storage, in ../shared/interop), offline: every JS peer listens on 127.0.0.1 only.
public sealed class LegacyInteropTests : JsInteropTest
{
    private static readonly TimeSpan Long = ChatPeer.Long;

    private JsPeer Js(params string[] args) => Track(JsPeer.Start("cabal-peer.js", [.. args, "--timeout", "120"]));

    [Fact]
    public async Task AJsStoreImportsWithItsIdentityNickTopicModerationAndPrivateMessage()
    {
        var jsDir = Dir.Sub("js");
        var bob = Convert.ToHexStringLower(Ed25519.NewKeyPair().PublicKey);
        await using var store = FeedStore.Open(Dir.Sub("ours"), new FeedStoreOptions { Durable = false });
        string key, localKey;
        LegacyCabalStore source;
        await using (var a = JsPeer.Start("cabal-peer.js", "--listen", "0", "--storage", jsDir, "--nick", "alice", "--topic", "default:welcome",
            "--say", "default:hello from js", "--stdin", "--raw", "--timeout", "120"))
        {
            (key, localKey) = await CabalPeerJs.ReadyAsync(a);
            // What cabal.publishPrivate appends: boxed to the recipient and to ourselves.
            var pm = await ChatFromJsTests.JsBoxAsync($$"""{"timestamp":1700000000001,"type":"chat/text","content":{"text":"psst bob","channel":"{{bob}}"},"private":true}""", bob, localKey);
            await CabalPeerJs.PublishAsync(a, 5,
                """{"type":"channel/join","content":{"channel":"default"},"timestamp":1700000000002}""",
                $$"""{"type":"flags/add","content":{"id":"{{bob}}","flags":["hide"],"channel":"@","reason":"spam"},"timestamp":1700000000003}""",
                $$"""{"type":"encrypted","content":"{{pm}}"}""");

            // While cabal-core runs on it, the store is refused: multifeed locks nothing, its open files say it.
            source = LegacyCabalStore.Open(jsDir, Convert.FromHexString(key));
            var refused = await LegacyImporter.ImportAsync(store, source);
            Assert.True(refused.Refused);
            var problem = Assert.Single(refused.Problems);
            Assert.Equal(LegacyProblemKind.Locked, problem.Kind);
            Assert.Contains("(node)", problem.Reason);
            Assert.Empty(store.Feeds);
        }

        // The chat layer's import: the feeds, then the identity handed over, then the views built.
        var imported = await CabalImporter.ImportAsync(store, source, new CabalImportOptions { Durable = false });
        var report = imported.Report;
        Assert.Empty(report.Problems);
        Assert.Equal((1, 6UL), (report.FeedsImported, report.NewBlocks));
        Assert.Equal(new LegacyIdentityOutcome(localKey, true, null, "0"), report.LocalIdentity);
        Assert.Equal((localKey, true, 6L), (imported.LocalKey, imported.CanReadPrivateMessages, imported.EntriesIndexed));

        // Opened again with nothing but the store: the identity is the JS one, secret key included.
        await using var core = await CabalCore.OpenAsync(store, new CabalUrl(key), new CabalOptions { Durable = false });
        using (var cts = new CancellationTokenSource(Long)) await core.WaitForIndexAsync(cts.Token);
        Assert.Equal(localKey, core.LocalKey);
        Assert.True(core.CanReadPrivateMessages);
        Assert.Equal("alice", core.GetUser(localKey)!.Name);
        Assert.Equal("welcome", core.GetTopic("default"));
        Assert.Equal(["hello from js", "welcome"], core.GetMessages("default").Select(m => m.Text));
        Assert.True(core.IsHidden(bob));
        var sent = Assert.Single(core.GetPrivateMessages(bob, new MessageQuery { IncludeHidden = true }));
        Assert.Equal(("psst bob", localKey, 5UL), (sent.Text, sent.Author, sent.Seq));

        // ... and keeps posting on the same feed.
        Assert.Equal(6UL, await core.PublishTextAsync("default", "now from c#")); // seq 6, after the JS entries 0..5
    }

    [Fact]
    public async Task CabalCoreOpensAnExportAsItsOwnAndKeepsPostingAsTheSameUser()
    {
        var (store, key, core, other) = await OurCabalAsync();
        await using var _ = store;
        var local = core.LocalKey;
        var localLength = core.LocalFeed.Length;
        var expected = Snapshot(core);
        await core.DisposeAsync();

        var export = Dir.Sub("export");
        var report = await LegacyExporter.ExportAsync(store, Convert.FromHexString(key), export);
        Assert.Equal((2, local, true), (report.Feeds, report.LocalFeedKey, report.WithSecretKey));

        // Offline: it listens on 127.0.0.1 and nobody connects; at --timeout it dumps its views and exits.
        var js = Track(JsPeer.Start("cabal-peer.js", "--listen", "0", "--storage", export, "--key", key, "--say", "default:and now from js", "--dump", "--dump-limit", "100", "--timeout", "15"));
        var ready = await js.WaitForEventAsync("ready", Long);
        Assert.Equal(local, ready.GetProperty("localKey").GetString());
        Assert.Equal(localLength, ready.GetProperty("localLength").GetUInt64());
        Assert.Equal(2, ready.GetProperty("feeds").GetInt32());
        var published = await js.WaitForEventAsync("published", Long);
        Assert.Equal(localLength, published.GetProperty("seq").GetUInt64()); // the next seq of our own feed
        var state = await js.WaitForEventAsync("state", TimeSpan.FromSeconds(180));

        Assert.Equal(expected.Channels, CabalPeerJs.Strings(state.GetProperty("channels")));
        Assert.Equal(expected.Topic, state.GetProperty("topics").GetProperty("default").GetString());
        var users = CabalPeerJs.Users(state);
        Assert.Equal("carol", users[local]);
        Assert.Equal("dave", users[other]);
        var messages = CabalPeerJs.Messages(state, "default");
        Assert.Equal((local, localLength), messages[0]); // JS's new post is the newest
        Assert.Equal(expected.Default, messages[1..]);

        // Importing the store JS wrote to brings its post back into our writer. cabal-peer.js dumps its
        // state before it closes the cabal: its storage is complete only once the process has exited.
        Assert.Equal(0, await js.WaitForExitAsync(Long));
        var back = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(export, Convert.FromHexString(key)));
        Assert.Equal(1UL, back.NewBlocks);
        Assert.Empty(back.Problems);
        Assert.Equal(localLength + 1, store.TryGet(Convert.FromHexString(local))!.Length);
    }

    [Fact]
    public async Task AJsPeerSyncsFromAnExportAndVerifiesEveryBlock()
    {
        var (store, key, core, _) = await OurCabalAsync();
        await using var __ = store;
        await core.DisposeAsync();
        var blocks = store.List(Convert.FromHexString(key)).Sum(f => (long)f.Length);
        var export = Dir.Sub("export");
        await LegacyExporter.ExportAsync(store, Convert.FromHexString(key), export);

        var server = Js("--listen", "0", "--storage", export, "--key", key);
        var port = await server.ListeningPortAsync(Long);
        // A fresh in-memory peer: hypercore verifies every block it downloads, and one bad proof drops
        // the connection, so reaching --expect means all of them verified.
        var client = Js("--connect", $"127.0.0.1:{port}", "--key", key, "--expect", blocks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await client.WaitForEventAsync("expect-met", TimeSpan.FromSeconds(180));
        Assert.Equal(0, await client.WaitForExitAsync(Long));
        Assert.DoesNotContain(client.Events, e => e.GetProperty("event").GetString() == "error");
    }

    [Fact]
    public async Task AMakeCabalOfAThousandFeedsImportsCompletelyAndOnlyOnce()
    {
        var dir = Dir.Sub("cabal");
        var make = Track(JsPeer.Start("make-cabal.js", "--feeds", "1000", "--messages", "20", "--dir", dir, "--timeout", "600"));
        var done = await make.WaitForEventAsync("done", TimeSpan.FromMinutes(10));
        var key = done.GetProperty("key").GetString()!;
        Assert.Equal(0, await make.WaitForExitAsync(Long));

        await using var store = FeedStore.Open(Dir.Sub("ours"), new FeedStoreOptions { Durable = false });
        var source = LegacyCabalStore.Open(dir, Convert.FromHexString(key));
        var report = await LegacyImporter.ImportAsync(store, source);
        Assert.Empty(report.Problems);
        Assert.Equal((1001, 1001, 20_000UL, 20_000UL), (report.Feeds, report.FeedsImported, report.BlocksVerified, report.NewBlocks));
        Assert.Equal(done.GetProperty("localKey").GetString(), report.LocalIdentity!.FeedKey);
        var feeds = store.List(Convert.FromHexString(key)).ToList();
        Assert.Equal(1001, feeds.Count);
        Assert.All(feeds.Where(f => !f.Writable), f => Assert.Equal((20UL, 20UL), (f.Length, f.Contiguous)));
        Assert.All(feeds.Take(50), f => Assert.True(f.Audit().Ok));
        Assert.Contains("message 19 from user 999", System.Text.Encoding.UTF8.GetString(feeds[^1].Get(19)));

        var again = await LegacyImporter.ImportAsync(store, source);
        Assert.Equal((1001, 0UL), (again.FeedsImported, again.NewBlocks));

        // The same through the program, views included: everything is readable at once, offline.
        var data = Dir.Sub("data");
        var run = await CabalProgram.RunAsync(TimeSpan.FromMinutes(3), "import", dir, "--key", key, "--data", data, "--json");
        run.AssertExit(0);
        var imported = Assert.Single(run.Json());
        Assert.Equal((1001, 20_000UL, 20_000L), (imported.GetProperty("feedsImported").GetInt32(), imported.GetProperty("newBlocks").GetUInt64(), imported.GetProperty("entriesIndexed").GetInt64()));
        var info = await CabalProgram.RunAsync(TimeSpan.FromMinutes(1), "info", key, "--data", data, "--json");
        info.AssertExit(0);
        Assert.Equal(1001, Assert.Single(info.Json()).GetProperty("feeds").GetArrayLength());
        Assert.Contains(await CabalProgram.ReadLocalAsync(key, data, 1000), m => CabalProgram.Text(m) == "message 19 from user 999");
    }

    [FactRequiring("python3")]
    public async Task AStoreWhoseViewsLevelDbIsLockedIsRefused()
    {
        // cabal-cli (cabal-client) keeps an fcntl lock on <cabal>/views/LOCK while it runs (LevelDB).
        var dir = Dir.Sub(new string('c', 64));
        Directory.CreateDirectory(Path.Combine(dir, "0"));
        Directory.CreateDirectory(Path.Combine(dir, "views"));
        var lockFile = Path.Combine(dir, "views", "LOCK");
        await using var holder = ChildProcess.Start("python3", ["-c",
            "import fcntl,sys,time\nf=open(sys.argv[1],'a')\nfcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\nprint('locked',flush=True)\ntime.sleep(120)", lockFile]);
        await holder.WaitForLineAsync(l => l == "locked", Long);

        await using var store = FeedStore.Open(Dir.Sub("ours"));
        var report = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(dir));
        var problem = Assert.Single(report.Problems);
        Assert.Equal(LegacyProblemKind.Locked, problem.Kind);
        Assert.Contains($"views/LOCK is locked by process {holder.Id}", problem.Reason);
    }

    [FactRequiring("flock")]
    public async Task AFeedWhoseBitfieldIsFlockedIsRefused()
    {
        // What hypercore's default storage (fsctl) takes on `bitfield` while a feed is open.
        var dir = Dir.Sub(new string('d', 64));
        Directory.CreateDirectory(Path.Combine(dir, "0"));
        var bitfield = Path.Combine(dir, "0", "bitfield");
        File.WriteAllBytes(bitfield, SleepHeader.Bitfield.ToBytes());
        await using var holder = ChildProcess.Start("flock", ["-x", bitfield, "sh", "-c", "echo locked; sleep 120"]);
        await holder.WaitForLineAsync(l => l == "locked", Long);

        await using var store = FeedStore.Open(Dir.Sub("ours"));
        var report = await LegacyImporter.ImportAsync(store, LegacyCabalStore.Open(dir));
        var problem = Assert.Single(report.Problems);
        Assert.Equal(LegacyProblemKind.Locked, problem.Kind);
        Assert.Contains("0/bitfield is locked", problem.Reason);
    }

    /// <summary>A cabal of ours: our user "carol" (nick, topic, two messages, a join) and a second user "dave".</summary>
    private async Task<(FeedStore Store, string Key, CabalCore Core, string Other)> OurCabalAsync()
    {
        var url = CabalUrl.Generate();
        var store = FeedStore.Open(Dir.Sub("ours"), new FeedStoreOptions { Durable = false });
        var core = await CabalCore.OpenAsync(store, url, new CabalOptions { Durable = false });
        await core.SetNickAsync("carol");
        await core.SetTopicAsync("default", "our topic");
        await core.PublishTextAsync("default", "first");
        await core.JoinAsync("side");
        await core.PublishTextAsync("side", "on the side");
        await core.PublishTextAsync("default", "second");
        var dave = await store.CreateWritableAsync(Ed25519.NewKeyPair(), null, url.Key);
        await dave.AppendAsync("""{"type":"about","content":{"name":"dave"},"timestamp":1700000000000}"""u8.ToArray());
        await dave.AppendAsync("""{"type":"chat/text","content":{"channel":"default","text":"from dave"},"timestamp":1700000000500}"""u8.ToArray());
        using (var cts = new CancellationTokenSource(Long)) await core.WaitForIndexAsync(cts.Token);
        return (store, url.KeyHex, core, dave.KeyHex);
    }

    private static (string[] Channels, string? Topic, (string, ulong)[] Default) Snapshot(CabalCore core)
        => ([.. core.GetChannels()], core.GetTopic("default"), [.. core.GetMessages("default", new MessageQuery { IncludeHidden = true, Limit = 100 }).Select(m => (m.Author, m.Seq))]);
}

/// <summary>A fact that is skipped (counted as skipped) when a tool it drives is not on PATH.</summary>
public sealed class FactRequiringAttribute : FactAttribute
{
    public FactRequiringAttribute(string tool)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, tool)));
        if (!found) Skip = $"{tool} is not installed";
    }
}
