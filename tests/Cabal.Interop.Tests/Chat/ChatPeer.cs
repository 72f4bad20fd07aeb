using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Interop.Tests.Js;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Chat;

/// <summary>
/// A C# chat peer as the program wires it (CabalNode does the same): one FeedStore, the cabal's
/// CabalCore (views) opened first so it creates the "local" writer, then the cabal's MultifeedSet,
/// which adopts that writer and replicates over connections we make on 127.0.0.1 ourselves.
/// </summary>
internal sealed class ChatPeer : IAsyncDisposable
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private readonly List<IAsyncDisposable> _sessions = [];

    private ChatPeer(FeedStore store, Replicator replicator, CabalCore core, MultifeedSet set)
    {
        Store = store;
        Replicator = replicator;
        Core = core;
        Set = set;
    }

    public FeedStore Store { get; }
    public Replicator Replicator { get; }
    public CabalCore Core { get; }
    public MultifeedSet Set { get; }
    public string Key => Core.LocalKey;

    public static async Task<ChatPeer> OpenAsync(string storeDir, CabalUrl url)
    {
        var store = FeedStore.Open(storeDir, new FeedStoreOptions { Durable = false });
        var replicator = new Replicator(store);
        var core = await CabalCore.OpenAsync(store, url, new CabalOptions { Durable = false });
        var set = await MultifeedSet.OpenAsync(store, replicator, url.Key);
        Assert.Equal(core.LocalKey, set.LocalFeed.KeyHex); // one writer, shared by the views and replication
        return new ChatPeer(store, replicator, core, set);
    }

    /// <summary>Dials a JS peer listening on 127.0.0.1:<paramref name="port"/> and replicates the cabal with it.</summary>
    public async Task<MultifeedSession> DialAsync(int port)
    {
        var session = Set.Replicate(await Loopback.DialAsync(port));
        _sessions.Add(session);
        return session;
    }

    /// <summary>Waits until every listed feed is held to the given length, then until the views have indexed it all.</summary>
    public async Task SyncedAsync(Dictionary<string, ulong> lengths)
    {
        await Loopback.Eventually(() => lengths.All(kv => Set.TryGet(kv.Key) is { } f && f.Contiguous >= kv.Value),
            "feeds " + string.Join(", ", lengths.Select(kv => $"{kv.Key[..8]}≥{kv.Value}")), Long);
        using var cts = new CancellationTokenSource(Long);
        await Core.WaitForIndexAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _sessions) await s.DisposeAsync();
        await Set.DisposeAsync();
        await Core.DisposeAsync();
        await Replicator.DisposeAsync();
        await Store.DisposeAsync();
    }
}

/// <summary>Helpers over cabal-peer.js's events.</summary>
internal static class CabalPeerJs
{
    public static async Task<(string Key, string Local)> ReadyAsync(JsPeer js)
    {
        var e = await js.WaitForEventAsync("ready", ChatPeer.Long);
        return (e.GetProperty("key").GetString()!, e.GetProperty("localKey").GetString()!);
    }

    /// <summary>Writes JSON lines to the peer's --stdin and waits until the last one is appended (seq <paramref name="lastSeq"/>).</summary>
    public static async Task PublishAsync(JsPeer js, int lastSeq, params string[] lines)
    {
        foreach (var line in lines) await js.StandardInput.WriteLineAsync(line);
        await js.StandardInput.FlushAsync();
        await js.WaitForEventAsync("published", ChatPeer.Long, e => e.GetProperty("seq").GetInt32() == lastSeq);
        Assert.DoesNotContain(js.Events, e => e.GetProperty("event").GetString() == "stdin-error");
    }

    /// <summary>Waits until every view of <paramref name="js"/> has processed block <paramref name="seq"/> of <paramref name="feed"/>.</summary>
    public static Task<JsonElement> IndexedAsync(JsPeer js, string feed, int seq)
        => js.WaitForEventAsync("message", ChatPeer.Long, e => e.GetProperty("feed").GetString() == feed && e.GetProperty("seq").GetInt32() == seq);

    public static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(x => x.GetString()!)];

    /// <summary>A channel's messages in the dump: (feed, seq), newest first, as cabal.messages.read returns them.</summary>
    public static (string Feed, ulong Seq)[] Messages(JsonElement state, string channel)
        => [.. state.GetProperty("messages").GetProperty(channel).EnumerateArray().Select(m => (m.GetProperty("feed").GetString()!, m.GetProperty("seq").GetUInt64()))];

    /// <summary>The dump's users map as key → name (null when no about).</summary>
    public static Dictionary<string, string?> Users(JsonElement state)
        => state.GetProperty("users").EnumerateObject().ToDictionary(p => p.Name,
            p => p.Value.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null);

    /// <summary>The dump's moderation list as (id, channel, sorted flags, provenance key).</summary>
    public static (string Id, string Channel, string Flags, string? Key)[] Moderation(JsonElement state)
        => [.. state.GetProperty("moderation").EnumerateArray().Select(r => (
            r.GetProperty("id").GetString()!, r.GetProperty("channel").GetString()!,
            string.Join(',', Strings(r.GetProperty("flags")).Order(StringComparer.Ordinal)),
            r.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null))
            .OrderBy(r => r.Item1, StringComparer.Ordinal).ThenBy(r => r.Item2, StringComparer.Ordinal)];
}
