using System.Text;
using System.Text.Json;
using Cabal.Interop.Tests.Js;
using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Multifeed;

// Our multifeed set against real cabal-core 16 peers (cabal-peer.js) over TCP on 127.0.0.1.
public sealed class MultifeedInteropTests : JsInteropTest
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private FeedStore _store = null!;
    private Replicator _replicator = null!;

    public override Task InitializeAsync()
    {
        _store = FeedStore.Open(Dir.Sub("store"), new FeedStoreOptions { Durable = false });
        _replicator = new Replicator(_store);
        return Task.CompletedTask;
    }

    protected override async ValueTask DisposeResourcesAsync()
    {
        await _replicator.DisposeAsync();
        await _store.DisposeAsync();
    }

    private JsPeer Js(params string[] args) => Track(JsPeer.Start("cabal-peer.js", [.. args, "--timeout", "120"]));

    private async Task<MultifeedSet> OpenSet(string cabalKeyHex, params string[] texts)
    {
        var set = Track(await MultifeedSet.OpenAsync(_store, _replicator, Convert.FromHexString(cabalKeyHex)));
        var ts = 1_700_000_000_000L;
        foreach (var t in texts)
        {
            var msg = JsonSerializer.Serialize(new { type = "chat/text", content = new { channel = "default", text = t }, timestamp = ts++ });
            await set.LocalFeed.AppendAsync(Encoding.UTF8.GetBytes(msg));
        }
        return set;
    }

    private static async Task<(string Key, string Local)> ReadyAsync(JsPeer js)
    {
        var e = await js.WaitForEventAsync("ready", Long);
        return (e.GetProperty("key").GetString()!, e.GetProperty("localKey").GetString()!);
    }

    /// <summary>Waits until <paramref name="js"/> has indexed block <paramref name="seq"/> of <paramref name="feed"/>.</summary>
    private static Task<JsonElement> MessageAsync(JsPeer js, string feed, int seq)
        => js.WaitForEventAsync("message", Long, e => e.GetProperty("feed").GetString() == feed && e.GetProperty("seq").GetInt32() == seq);

    /// <summary>Our set holds exactly <paramref name="expected"/> (key → length) and every block of each.</summary>
    private static Task HoldsAsync(MultifeedSet set, Dictionary<string, ulong> expected)
        => Loopback.Eventually(() => set.Count == expected.Count && expected.All(kv =>
            set.TryGet(kv.Key) is { } f && f.Length == kv.Value && f.Contiguous == kv.Value), "every feed and block in our set", Long);

    private static string Text(Feed feed, ulong seq)
        => JsonDocument.Parse(feed.Get(seq)).RootElement.GetProperty("content").GetProperty("text").GetString()!;

    [Fact]
    public async Task WeDialAJsPeerHoldingSeveralFeeds()
    {
        // A holds two writers' feeds: its own and B's (B connected to it and published).
        var a = Js("--listen", "0", "--say", "default:a0", "--say", "default:a1");
        var (key, aLocal) = await ReadyAsync(a);
        var port = await a.ListeningPortAsync(Long);
        var b = Js("--connect", $"127.0.0.1:{port}", "--key", key, "--say", "default:b0");
        var (_, bLocal) = await ReadyAsync(b);
        await MessageAsync(a, bLocal, 0);

        var set = await OpenSet(key, "c0", "c1", "c2");
        var session = set.Replicate(await Loopback.DialAsync(port));
        Track(session);

        await HoldsAsync(set, new() { [aLocal] = 2, [bLocal] = 1, [set.LocalFeed.KeyHex] = 3 });
        Assert.Equal("a1", Text(set.TryGet(aLocal)!, 1));
        Assert.Equal("b0", Text(set.TryGet(bLocal)!, 0));
        // A got all of ours, and passed our feed on to B, which never met us.
        await MessageAsync(a, set.LocalFeed.KeyHex, 2);
        await MessageAsync(b, set.LocalFeed.KeyHex, 2);
        Assert.Equal(aLocal, session.RemotePeerId);
        await a.WaitForEventAsync("peer-id", Long, e => e.GetProperty("peerId").GetString() == set.LocalFeed.KeyHex);
        Assert.Null(session.EndReason);
        Assert.False(session.Connection.IsEnded);
    }

    [Fact]
    public async Task AJsPeersEmptyFeed_IsWatchedNotStored_AndReplicatesOnceItHasData()
    {
        // Issue 20: an empty feed is not stored; its channel stays open, so the JS writer's first append
        // (hypercore 9 sends a Have to a peer that sent a Want) still reaches us on the same connection.
        var a = Js("--listen", "0", "--stdin");
        var (key, aLocal) = await ReadyAsync(a);
        var port = await a.ListeningPortAsync(Long);
        var set = await OpenSet(key, "c0");
        var session = Track(set.Replicate(await Loopback.DialAsync(port)));
        await MessageAsync(a, set.LocalFeed.KeyHex, 0);
        await Loopback.Eventually(() => session.SyncReport() is { InSync: true, FeedsEmptyNotStored: 1 }, "the JS feed known empty", Long);
        Assert.Null(set.TryGet(aLocal));
        Assert.Null(_store.TryGet(Convert.FromHexString(aLocal)));

        await Cabal.Interop.Tests.Chat.CabalPeerJs.PublishAsync(a, 0, """{"type":"chat/text","content":{"channel":"default","text":"first words"}}""");
        await HoldsAsync(set, new() { [aLocal] = 1, [set.LocalFeed.KeyHex] = 1 });
        Assert.Equal("first words", Text(set.TryGet(aLocal)!, 0));
        await Loopback.Eventually(() => session.SyncReport() is { InSync: true, FeedsEmptyNotStored: 0 }, "in sync, nothing left empty", Long);
        Assert.Null(session.EndReason);
    }

    [Fact]
    public async Task AJsPeerHoldingSeveralFeedsDialsUs()
    {
        // Build a JS cabal of two writers on disk, then restart its first peer so it dials us.
        var storage = Dir.Sub("js-a");
        string key, aLocal, bLocal;
        {
            await using var a = JsPeer.Start("cabal-peer.js", "--listen", "0", "--storage", storage, "--say", "default:a0", "--timeout", "120");
            (key, aLocal) = await ReadyAsync(a);
            var port = await a.ListeningPortAsync(Long);
            await using var b = JsPeer.Start("cabal-peer.js", "--connect", $"127.0.0.1:{port}", "--key", key, "--say", "default:b0", "--say", "default:b1", "--timeout", "120");
            (_, bLocal) = await ReadyAsync(b);
            await MessageAsync(a, bLocal, 1);
        }

        var set = await OpenSet(key, "c0");
        var listener = Loopback.Listen();
        // It stays 10 s after it has our block: by default it left 0.5 s later, and on a loaded machine
        // that could be before we had fetched its feeds, so the wait below timed out.
        var a2 = Js("--connect", $"127.0.0.1:{listener.Port()}", "--key", key, "--storage", storage, "--expect", "1", "--linger", "10000");
        var connection = await listener.AcceptAsync();
        listener.Stop();
        var session = Track(set.Replicate(connection));

        await HoldsAsync(set, new() { [aLocal] = 1, [bLocal] = 2, [set.LocalFeed.KeyHex] = 1 });
        Assert.Equal("b1", Text(set.TryGet(bLocal)!, 1));
        await MessageAsync(a2, set.LocalFeed.KeyHex, 0);
        await a2.WaitForEventAsync("expect-met", Long);
        Assert.Equal(aLocal, session.RemotePeerId);
        Assert.False(session.LengthSyncActive); // JS ignores our extension
    }

    [Fact]
    public async Task FeedsSpreadTransitivelyThroughUsBetweenTwoJsPeers()
    {
        // JS A ↔ C# ↔ JS C: A and C never meet.
        var a = Js("--listen", "0", "--say", "default:from a", "--expect", "2", "--linger", "2000");
        var (key, aLocal) = await ReadyAsync(a);
        var c = Js("--listen", "0", "--key", key, "--say", "default:from c", "--expect", "2", "--linger", "2000");
        var (_, cLocal) = await ReadyAsync(c);
        var set = await OpenSet(key, "from us");

        Track(set.Replicate(await Loopback.DialAsync(await a.ListeningPortAsync(Long))));
        await MessageAsync(a, set.LocalFeed.KeyHex, 0);
        Track(set.Replicate(await Loopback.DialAsync(await c.ListeningPortAsync(Long))));

        var fromC = await MessageAsync(a, cLocal, 0);
        Assert.Equal("from c", fromC.GetProperty("value").GetProperty("content").GetProperty("text").GetString());
        await MessageAsync(c, aLocal, 0);
        await a.WaitForEventAsync("expect-met", Long);
        await c.WaitForEventAsync("expect-met", Long);
        await HoldsAsync(set, new() { [aLocal] = 1, [cLocal] = 1, [set.LocalFeed.KeyHex] = 1 });
    }

    [Fact]
    public async Task AFeedWeCreateWhileConnectedReachesJs()
    {
        var a = Js("--listen", "0", "--say", "default:a0");
        var (key, aLocal) = await ReadyAsync(a);
        var set = await OpenSet(key, "c0");
        Track(set.Replicate(await Loopback.DialAsync(await a.ListeningPortAsync(Long))));
        await HoldsAsync(set, new() { [aLocal] = 1, [set.LocalFeed.KeyHex] = 1 });

        var second = await _store.CreateWritableAsync(name: "second", group: set.CabalKey);
        await second.AppendAsync(Encoding.UTF8.GetBytes("""{"type":"chat/text","content":{"channel":"default","text":"late"},"timestamp":1700000000100}"""));
        var late = await MessageAsync(a, second.KeyHex, 0);
        Assert.Equal("late", late.GetProperty("value").GetProperty("content").GetProperty("text").GetString());
    }
}
