using System.Text.Json;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Interop.Tests.Js;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Chat;

// What we publish, read by a real cabal-core 16 peer (cabal-peer.js --expect N --dump): its views
// give every entry the meaning ours do. Over TCP on 127.0.0.1.
public sealed class ChatToJsTests : JsInteropTest
{
    private static readonly TimeSpan Long = ChatPeer.Long;

    [Fact]
    public async Task JsReadsEveryMessageTypeWePublish()
    {
        // We create the cabal and write everything before any JS peer exists.
        var us = Track(await ChatPeer.OpenAsync(Dir.Sub("us"), CabalUrl.Generate()));
        var c = us.Core;
        var victim = Convert.ToHexStringLower(Ed25519.NewKeyPair().PublicKey);
        await c.SetNickAsync("carol");
        await c.JoinAsync("default");
        await c.SetTopicAsync("default", "the c# topic");
        await c.PublishTextAsync("default", "hello from c#");
        await c.PublishEmoteAsync("default", "waves from c#");
        await c.JoinAsync("side");
        await c.PublishTextAsync("side", "side note");
        await c.JoinAsync("gone");
        await c.LeaveAsync("gone");
        await c.PublishTextAsync("old", "old stuff");
        await c.ArchiveAsync("old", "done");
        await c.HideAsync(victim, reason: "spam");
        var last = await c.PublishTextAsync("default", "unicode: ünïcødé ✓ \"quoted\"\n2nd line");
        var count = (int)last + 1;
        Assert.Equal(13, count);
        using (var cts = new CancellationTokenSource(Long)) await c.WaitForIndexAsync(cts.Token);

        // cabal-peer.js cannot take ?admin= keys, so the JS user (admin in its own view) makes us an
        // admin first, as /admin add would; only then do our archive and hide count in its view.
        var js = Track(JsPeer.Start("cabal-peer.js", "--listen", "0", "--key", c.KeyHex, "--stdin",
            "--expect", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dump", "--linger", "500", "--timeout", "120"));
        var (key, jsKey) = await CabalPeerJs.ReadyAsync(js);
        Assert.Equal(c.KeyHex, key);
        await CabalPeerJs.PublishAsync(js, 0, $$$"""{"type":"flags/add","content":{"id":"{{{us.Key}}}","flags":["admin"],"channel":"@"}}""");

        var session = await us.DialAsync(await js.ListeningPortAsync(Long));
        await js.WaitForEventAsync("expect-met", Long);
        var state = await js.WaitForEventAsync("state", Long);
        Assert.Equal(0, await js.WaitForExitAsync(Long));
        Assert.Equal(jsKey, session.RemotePeerId);

        // Each of our entries reached JS byte for byte and was indexed by every view.
        var messages = js.Events.Where(e => e.GetProperty("event").GetString() == "message" && e.GetProperty("feed").GetString() == us.Key).ToList();
        Assert.Equal(count, messages.Count);
        for (var seq = 0; seq < count; seq++)
        {
            var value = messages.Single(m => m.GetProperty("seq").GetInt32() == seq).GetProperty("value");
            using var ours = JsonDocument.Parse(us.Set.LocalFeed.Get((ulong)seq));
            Assert.True(JsonElement.DeepEquals(ours.RootElement, value), $"seq {seq}: ours {ours.RootElement.GetRawText()} vs JS {value.GetRawText()}");
        }

        // The JS views, against what we meant.
        Assert.Equal(["default", "old", "side"], CabalPeerJs.Strings(state.GetProperty("channels")));
        Assert.Equal("the c# topic", state.GetProperty("topics").GetProperty("default").GetString());
        var users = CabalPeerJs.Users(state);
        Assert.Equal("carol", users[us.Key]);
        Assert.Equal([us.Key], CabalPeerJs.Strings(state.GetProperty("members").GetProperty("default")));
        Assert.Equal([us.Key], CabalPeerJs.Strings(state.GetProperty("members").GetProperty("side")));
        Assert.Equal(["old"], CabalPeerJs.Strings(state.GetProperty("archived")));
        var mod = CabalPeerJs.Moderation(state);
        Assert.Contains((victim, "@", "hide", (string?)$"{us.Key}@11"), mod);
        Assert.Contains((us.Key, "@", "admin", (string?)$"{jsKey}@0"), mod);

        var texts = state.GetProperty("messages").GetProperty("default").EnumerateArray()
            .Select(m => (m.GetProperty("value").GetProperty("type").GetString(), m.GetProperty("value").GetProperty("content").GetProperty("text").GetString())).ToArray();
        Assert.Equal([
            ("chat/text", "unicode: ünïcødé ✓ \"quoted\"\n2nd line"),
            ("chat/emote", "waves from c#"),
            ("chat/text", "hello from c#"),
            ("chat/topic", "the c# topic"),
        ], texts);

        // And the same answers from our own views (the order and identity of every message included).
        Assert.Equal(CabalPeerJs.Strings(state.GetProperty("channels")), c.GetChannels());
        foreach (var ch in c.GetChannels())
        {
            Assert.Equal(CabalPeerJs.Messages(state, ch), c.GetMessages(ch, new MessageQuery { Limit = 500 }).Select(m => (m.Author, m.Seq)).ToArray());
            Assert.Equal(state.GetProperty("topics").GetProperty(ch) is { ValueKind: JsonValueKind.String } t ? t.GetString() : null, c.GetTopic(ch));
        }
        Assert.Equal(CabalPeerJs.Strings(state.GetProperty("archived")), c.GetArchivedChannels());
        Assert.Equal(victim, Assert.Single(c.ListHidden()).Id);
    }

    [Fact]
    public async Task OurPrivateMessageReachesJsAsAnOpaqueEntry()
    {
        // cabal-peer.js cannot dump private messages, so this checks what any JS peer sees of one:
        // an "encrypted" entry, no channel, no message — and that cabal-core's crypto opens it
        // for the recipient only (tested in ChatFromJsTests the other way).
        var us = Track(await ChatPeer.OpenAsync(Dir.Sub("us"), CabalUrl.Generate()));
        var js = Track(JsPeer.Start("cabal-peer.js", "--listen", "0", "--key", us.Core.KeyHex, "--expect", "2", "--dump", "--linger", "300", "--timeout", "120"));
        var (_, jsKey) = await CabalPeerJs.ReadyAsync(js);
        await us.Core.PublishPrivateAsync(jsKey, "for your eyes only");
        await us.Core.PublishTextAsync("default", "public");
        await us.DialAsync(await js.ListeningPortAsync(Long));
        var state = await js.WaitForEventAsync("state", Long);
        var pm = (await CabalPeerJs.IndexedAsync(js, us.Key, 0)).GetProperty("value");
        Assert.Equal("encrypted", pm.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.String, pm.GetProperty("content").ValueKind);
        Assert.False(pm.TryGetProperty("timestamp", out _));
        Assert.Equal(["default"], CabalPeerJs.Strings(state.GetProperty("channels")));
        Assert.Single(state.GetProperty("messages").GetProperty("default").EnumerateArray());
        // We read our own side of the conversation, filed under the recipient, as cabal-core does.
        var ours = Assert.Single(us.Core.GetPrivateMessages(jsKey));
        Assert.Equal(("for your eyes only", us.Key), (ours.Text, ours.Author));
    }
}
