using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Interop.Tests.Js;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Chat;

// What real cabal-core 16 peers (cabal-peer.js) publish shows in our views with the meaning JS gives
// it: checked against the fixed expectations below and against the publishing peer's own views
// (its --dump), over TCP on 127.0.0.1.
public sealed class ChatFromJsTests : JsInteropTest
{
    private static readonly TimeSpan Long = ChatPeer.Long;

    private JsPeer Js(params string[] args) => Track(JsPeer.Start("cabal-peer.js", [.. args, "--timeout", "120"]));

    [Fact]
    public async Task EveryMessageTypeFromJsMeansTheSameInOurViews()
    {
        // A (alice) is the cabal's creator and, through ?admin= in our URL, an admin in our view. It
        // dumps its own state once it has indexed 3 entries of others: B's two and our final "ack".
        var a = Js("--listen", "0", "--nick", "alice", "--topic", "default:welcome to default", "--say", "default:hello from js",
            "--stdin", "--expect", "3", "--dump", "--linger", "3000");
        var (key, aKey) = await CabalPeerJs.ReadyAsync(a);
        var port = await a.ListeningPortAsync(Long);

        var us = Track(await ChatPeer.OpenAsync(Dir.Sub("us"), CabalUrl.Parse($"cabal://{key}?admin={aKey}")));

        // B says one thing, then sends us a private message, encrypted by cabal-core's own crypto module
        // exactly as cabal.publishPrivate does (cabal-peer.js has no option for publishPrivate, so the
        // entry is appended verbatim with --stdin --raw).
        var b = Js("--connect", $"127.0.0.1:{port}", "--key", key, "--say", "default:from b", "--stdin", "--raw");
        var (_, bKey) = await CabalPeerJs.ReadyAsync(b);
        var pmTimestamp = 1_700_000_000_123L;
        var pmPlaintext = $$"""{"timestamp":{{pmTimestamp}},"type":"chat/text","content":{"text":"psst, only for you","channel":"{{us.Key}}"},"private":true}""";
        var pmBox = await JsBoxAsync(pmPlaintext, us.Key, bKey);
        await CabalPeerJs.PublishAsync(b, 1, $$"""{"type":"encrypted","content":"{{pmBox}}"}""");
        await CabalPeerJs.IndexedAsync(a, bKey, 1);

        // Everything else through cabal.publish (which adds the timestamp), then A hides B cabal-wide.
        await CabalPeerJs.PublishAsync(a, 11,
            """{"type":"chat/emote","content":{"channel":"default","text":"waves"}}""",
            """{"type":"channel/join","content":{"channel":"default"}}""",
            """{"type":"channel/join","content":{"channel":"side"}}""",
            """{"type":"chat/text","content":{"channel":"side","text":"side note"}}""",
            """{"type":"channel/join","content":{"channel":"gone"}}""",
            """{"type":"channel/leave","content":{"channel":"gone"}}""",
            """{"type":"chat/text","content":{"channel":"old","text":"old stuff"}}""",
            """{"type":"channel/archive","content":{"channel":"old","reason":"done"}}""",
            $$$"""{"type":"flags/add","content":{"id":"{{{bKey}}}","flags":["hide"],"channel":"@","reason":"spam"}}""");

        await us.DialAsync(port);
        await us.SyncedAsync(new() { [aKey] = 12, [bKey] = 2 });
        var c = us.Core;

        // Channels: every channel a chat/* message named; a join alone ("gone") makes none.
        Assert.Equal(["default", "old", "side"], c.GetChannels());

        // Messages in order, newest first; the topic is a chat/* message too. B is hidden by A (an
        // admin), so its message is left out unless asked for.
        string[] Texts(string ch, bool hidden = false) => [.. c.GetMessages(ch, new MessageQuery { IncludeHidden = hidden }).Select(m => m.Text)];
        Assert.Equal(["waves", "hello from js", "welcome to default"], Texts("default"));
        Assert.Equal(["waves", "from b", "hello from js", "welcome to default"], Texts("default", hidden: true));
        var latest = c.GetMessages("default", MessageQuery.Latest(50));
        Assert.True(latest[0].IsEmote);
        Assert.True(latest[^1].IsTopic);
        Assert.All(latest, m => Assert.Equal(aKey, m.Author));
        Assert.Equal(["side note"], Texts("side"));
        Assert.Equal(["old stuff"], Texts("old"));

        // Topic, nicks and memberships.
        Assert.Equal("welcome to default", c.GetTopic("default"));
        Assert.Null(c.GetTopic("side"));
        Assert.Equal("alice", c.GetUser(aKey)!.Name);
        Assert.Null(c.GetUser(bKey)!.Name);
        Assert.Equal(bKey[..8], c.GetUser(bKey)!.DisplayName);
        Assert.Equal([aKey], c.GetMembers("default"));
        Assert.Equal([aKey], c.GetMembers("side"));
        Assert.Empty(c.GetMembers("gone"));
        Assert.Equal(["default", "side"], c.GetMemberships(aKey));
        Assert.True(c.IsMember(aKey, "side"));
        Assert.False(c.IsMember(aKey, "gone"));

        // Archived channels and hidden users, authorised because A is an admin in our view.
        Assert.Equal(["old"], c.GetArchivedChannels());
        var hide = Assert.Single(c.ListHidden());
        Assert.Equal(bKey, hide.Id);
        Assert.Equal($"{aKey}@11", hide.Provenance);
        Assert.True(c.IsHidden(bKey));
        Assert.Contains("hide", c.GetFlags(bKey, "default"));

        // The private message: ours to read, shown under B (the sender); hidden like B's channel messages.
        Assert.Equal([bKey], c.ListPrivateConversations());
        Assert.Empty(c.GetPrivateMessages(bKey));
        var pm = Assert.Single(c.GetPrivateMessages(bKey, new MessageQuery { IncludeHidden = true }));
        Assert.Equal(("psst, only for you", bKey, 1UL, (double)pmTimestamp), (pm.Text, pm.Author, pm.Seq, pm.Timestamp));
        Assert.DoesNotContain(us.Key, c.GetChannels()); // never a public channel
        // Nobody else can open it: private-box to [us, B] does not open with a third key.
        var block = JsonDocument.Parse(us.Set.TryGet(bKey)!.Get(1)).RootElement;
        Assert.Equal(["type", "content"], block.EnumerateObject().Select(p => p.Name)); // no outer timestamp, as publishPrivate writes
        Assert.Null(PrivateBox.DecryptWithEd25519(Convert.FromBase64String(block.GetProperty("content").GetString()!), Ed25519.NewKeyPair().SecretKey));

        // Compare with A's own views: A dumps once our entry arrives.
        await c.PublishTextAsync("default", "ack from c#");
        var state = await a.WaitForEventAsync("state", Long);
        using (var cts = new CancellationTokenSource(Long)) await c.WaitForIndexAsync(cts.Token);
        Assert.Equal(CabalPeerJs.Strings(state.GetProperty("channels")), c.GetChannels());
        foreach (var ch in c.GetChannels())
        {
            // cabal-core does not filter hidden users in messages.read: compare with them included.
            var ours = c.GetMessages(ch, new MessageQuery { IncludeHidden = true, Limit = 500 }).Select(m => (m.Author, m.Seq)).ToArray();
            Assert.Equal(CabalPeerJs.Messages(state, ch), ours);
            var topic = state.GetProperty("topics").GetProperty(ch);
            Assert.Equal(topic.ValueKind == JsonValueKind.String ? topic.GetString() : null, c.GetTopic(ch));
            Assert.Equal(CabalPeerJs.Strings(state.GetProperty("members").GetProperty(ch)).Order(StringComparer.Ordinal), c.GetMembers(ch).Order(StringComparer.Ordinal));
        }
        Assert.Equal(CabalPeerJs.Strings(state.GetProperty("archived")), c.GetArchivedChannels());
        var jsUsers = CabalPeerJs.Users(state);
        Assert.Equal(jsUsers.OrderBy(u => u.Key, StringComparer.Ordinal), c.GetUsers().Select(u => new KeyValuePair<string, string?>(u.Key, u.Name)).OrderBy(u => u.Key, StringComparer.Ordinal));
        // Moderation is per point of view (each user is admin in their own): the hide is the same row.
        Assert.Contains((bKey, "@", "hide", (string?)$"{aKey}@11"), CabalPeerJs.Moderation(state));
        Assert.Equal(0, await a.WaitForExitAsync(Long));
    }

    [Fact]
    public async Task WithoutAuthorityJsArchivesAndHidesAreIgnored()
    {
        // The same kind of entries, but A is not an admin in our view (no ?admin=): as in cabal-core,
        // an archive or a hide by a plain user changes nothing for us.
        var a = Js("--listen", "0", "--say", "default:hello", "--stdin");
        var (key, aKey) = await CabalPeerJs.ReadyAsync(a);
        var victim = Convert.ToHexStringLower(Ed25519.NewKeyPair().PublicKey);
        await CabalPeerJs.PublishAsync(a, 2,
            """{"type":"channel/archive","content":{"channel":"default","reason":""}}""",
            $$$"""{"type":"flags/add","content":{"id":"{{{victim}}}","flags":["hide"],"channel":"@"}}""");

        var us = Track(await ChatPeer.OpenAsync(Dir.Sub("plain"), new CabalUrl(key)));
        await us.DialAsync(await a.ListeningPortAsync(Long));
        await us.SyncedAsync(new() { [aKey] = 3 });
        Assert.Equal(["default"], us.Core.GetChannels());
        Assert.Empty(us.Core.GetArchivedChannels());
        Assert.Empty(us.Core.ListHidden());
        Assert.Single(us.Core.ListModerationBy(aKey)); // recorded for /inspect, not honoured
        // Only we are admin here (the bootstrap); A is not.
        Assert.Equal([us.Key], us.Core.ListAdmins().Select(r => r.Id));
    }

    /// <summary>cabal-core's lib/crypto.js box(): private-box to ed25519 keys converted to curve25519, base64.</summary>
    internal static async Task<string> JsBoxAsync(string plaintext, params string[] recipients)
    {
        const string Script = """
            const { box } = require('cabal-core/lib/crypto')
            const [plain, ...keys] = process.argv.slice(1)
            process.stdout.write(box(Buffer.from(plain), keys.map(k => Buffer.from(k, 'hex'))).toString('base64'))
            """;
        var psi = new ProcessStartInfo("node") { WorkingDirectory = TestPaths.Interop, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-e", Script, plaintext }.Concat(recipients)) psi.ArgumentList.Add(arg);
        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(Long);
        var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw; }
        Assert.True(p.ExitCode == 0, "node box failed: " + await stderr);
        var b64 = (await stdout).Trim();
        Assert.Equal(24 + 32 + recipients.Length * 49 + 16 + Encoding.UTF8.GetByteCount(plaintext), Convert.FromBase64String(b64).Length);
        return b64;
    }
}
