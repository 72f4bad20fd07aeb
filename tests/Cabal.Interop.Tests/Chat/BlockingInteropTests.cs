using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Interop.Tests.Js;
using Cabal.Net.Transport;

namespace Cabal.Interop.Tests.Chat;

// Issue 20, "blocking against the real JS stack". A is a real cabal-core 16 peer (cabal-peer.js), an
// admin in our bot's view through ?admin= in its URL; V is another JS peer whose feed reaches the
// bot through A. A publishes a cabal-wide block of V with cabal.publish (cabal-peer.js --stdin, the
// same flags/add entry cabal-cli's /block writes). Once the bot has indexed it, the bot neither
// serves V's feed to a fresh C# reader nor asks A for it (no channel for it on the connection, and
// V's later entries never arrive, also after a restart when A offers V again); with
// DeleteBlockedFeeds (`/block --delete`'s policy form) V's blocks are gone from the store.
public sealed class BlockingInteropTests : JsInteropTest
{
    private static readonly TimeSpan Long = ChatPeer.Long;

    private JsPeer Js(params string[] args) => Track(JsPeer.Start("cabal-peer.js", [.. args, "--timeout", "150"]));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AJsAdminsBlockKeepsTheUsersFeedOffOurNetwork(bool delete)
    {
        var a = Js("--listen", "0", "--nick", "admin", "--stdin");
        var (key, aKey) = await CabalPeerJs.ReadyAsync(a);
        var port = await a.ListeningPortAsync(Long);
        var v = Js("--connect", $"127.0.0.1:{port}", "--key", key, "--say", "default:spam 0", "--stdin");
        var (_, vKey) = await CabalPeerJs.ReadyAsync(v);
        await CabalPeerJs.IndexedAsync(a, vKey, 0);

        var url = CabalUrl.Parse($"cabal://{key}?admin={aKey}");
        var paths = new DataPaths(Dir.Sub("bot"));
        var network = new NetworkOptions { ListenPort = 0, Lan = false, Peers = [PeerAddress.Parse($"127.0.0.1:{port}")] };
        var node = await CabalNode.OpenAsync(new NodeOptions { Paths = paths, DeleteBlockedFeeds = delete });
        try
        {
            var cabal = await node.OpenCabalAsync(url);
            // The bot's own feed holds an entry: a reader stores only feeds that hold data (issue 20).
            await cabal.SetNickAsync("bot");
            await node.StartNetworkAsync(network);
            var set = node.SetOf(cabal);
            // Downloaded before the block: V's first entry.
            await Loopback.Eventually(() => set.TryGet(vKey) is { Contiguous: >= 1 }, "the bot holds V's first entry", Long);

            // A blocks V cabal-wide (A's seq 1, after its nick).
            await CabalPeerJs.PublishAsync(a, 1, $$$"""{"type":"flags/add","content":{"id":"{{{vKey}}}","flags":["block"],"channel":"@","reason":"spam"}}""");
            await Loopback.Eventually(() => cabal.NetworkBlockedUsers.Contains(vKey), "the bot applies A's block", Long);
            Assert.Contains(cabal.ListBlocked(), b => b.Id == vKey && b.Provenance == $"{aKey}@1");
            var vDiscovery = Cabal.Net.Crypto.HypercoreCrypto.DiscoveryKey(Convert.FromHexString(vKey));
            bool NoChannelForV() => set.Sessions.All(s => s.Connection.Channels.All(ch => !ch.DiscoveryKey.Span.SequenceEqual(vDiscovery)));
            await Loopback.Eventually(NoChannelForV, "V's channel is closed on every connection", Long);
            if (delete)
            {
                await Loopback.Eventually(() => node.Store.TryGet(Convert.FromHexString(vKey)) is null, "V's feed is deleted", Long);
                await node.Store.WaitForPurgesAsync();
            }

            // V writes more; A gets it, and then writes again itself. The bot gets A's entry, never V's.
            await CabalPeerJs.PublishAsync(v, 1, """{"type":"chat/text","content":{"channel":"default","text":"spam 1"}}""");
            await CabalPeerJs.IndexedAsync(a, vKey, 1);
            await CabalPeerJs.PublishAsync(a, 2, """{"type":"chat/text","content":{"channel":"default","text":"after the block"}}""");
            await Loopback.Eventually(() => set.TryGet(aKey) is { Contiguous: >= 3 }, "the bot holds A's entry after the block", Long);
            await Task.Delay(500); // anything V's entry could have raced with A's has landed by now
            Assert.True(NoChannelForV());
            if (delete) Assert.Null(node.Store.TryGet(Convert.FromHexString(vKey)));
            else Assert.Equal(1UL, set.TryGet(vKey)!.Length);

            // A fresh C# reader of the bot gets A's feed and the bot's, never V's.
            var reader = Track(await ChatPeer.OpenAsync(Dir.Sub("reader"), url));
            var toBot = await reader.DialAsync(node.ListenPort!.Value);
            await Loopback.Eventually(() => reader.Set.TryGet(aKey) is { Contiguous: >= 3 } && reader.Set.TryGet(cabal.LocalKey) is not null && toBot.SyncReport().InSync,
                "the reader syncs with the bot", Long);
            Assert.Null(reader.Set.TryGet(vKey));
            Assert.Null(reader.Store.TryGet(Convert.FromHexString(vKey)));
        }
        finally { await node.DisposeAsync(); }

        // Restarted, the bot hears A offer V again in its manifest, and does not ask for it.
        await using (var again = await CabalNode.OpenAsync(new NodeOptions { Paths = paths, DeleteBlockedFeeds = delete }))
        {
            var cabal = await again.OpenCabalAsync(url);
            await again.StartNetworkAsync(network);
            var result = await again.WaitForSyncReportAsync(cabal, Long);
            Assert.True(result.InSync, result.ToString());
            var set = again.SetOf(cabal);
            Assert.All(set.Sessions, s => Assert.DoesNotContain(s.Replication.Peers, p => p.Feed.KeyHex == vKey));
            if (delete) Assert.Null(again.Store.TryGet(Convert.FromHexString(vKey)));
            else Assert.Equal(1UL, set.TryGet(vKey)!.Length);
        }
    }
}
