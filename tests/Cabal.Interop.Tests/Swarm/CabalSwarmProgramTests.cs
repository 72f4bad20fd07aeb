using System.Text.Json;
using Cabal.Interop.Tests.Dht;
using Cabal.Interop.Tests.Js;
using Cabal.Interop.Tests.Program;

namespace Cabal.Interop.Tests.Swarm;

/// <summary>
/// The `cabal` program against the real cabal-core on its own swarm (cabal-peer.js --swarm, which does what
/// cabal-core 16's swarm.js does) on one loopback JS testnet: the C# side gets only the cabal key and the
/// same --bootstrap 127.0.0.1:PORT, with --no-lan and no --peer, so every peer it reaches was found
/// through the DHT.
/// </summary>
[Collection(DhtInteropCollection.Name)]
public class CabalSwarmProgramTests(SwarmTestnetFixture testnet) : JsInteropTest, IClassFixture<SwarmTestnetFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private string[] DhtOnly => ["--no-lan", "--bootstrap", testnet.Bootstrap];

    private async Task<(JsPeer Js, string Key)> JsSwarmPeerAsync(params string[] args)
    {
        var js = Track(JsPeer.Start("cabal-peer.js", ["--swarm", "--bootstrap", testnet.Bootstrap, .. args, "--timeout", "120"]));
        var key = (await js.WaitForEventAsync("ready", Bound)).GetProperty("key").GetString()!;
        await js.WaitForEventAsync("swarm-joined", Bound);
        return (js, key);
    }

    [Fact]
    public async Task ReadGetsTheJsPeersMessagesAndNickThroughTheDhtAlone()
    {
        var (_, key) = await JsSwarmPeerAsync("--nick", "alice", "--say", "default:hello over the swarm");

        var r = await CabalProgram.RunAsync(Bound, ["read", key, "--join", "--data", Dir.Sub("reader"), "--json", "--timeout", "40", .. DhtOnly]);
        r.AssertExit(0);
        var message = Assert.Single(r.Json());
        Assert.Equal("hello over the swarm", CabalProgram.Text(message));
        Assert.Equal("alice", message.GetProperty("nick").GetString());
    }

    [Fact]
    public async Task SendWaitAckIsAcknowledgedByTheJsPeerFoundOnTheDht()
    {
        var (js, key) = await JsSwarmPeerAsync("--nick", "bob");

        var r = await CabalProgram.RunAsync(Bound, ["send", key, "--data", Dir.Sub("sender"), "--text", "acked over the swarm", "--wait-ack", "1", "--timeout", "40", .. DhtOnly]);
        r.AssertExit(0);
        Assert.Contains("stored by 1 peer", r.Stderr);
        var got = await js.WaitForEventAsync("message", Bound, e => e.GetProperty("value").GetProperty("content").GetProperty("text").GetString() == "acked over the swarm");
        Assert.False(got.GetProperty("local").GetBoolean());
    }

    [Fact]
    public async Task AMessageSentOfflineAndServedBySeedReachesTheJsPeerWhichIndexesIt()
    {
        var (js, key) = await JsSwarmPeerAsync("--nick", "carol");
        var data = Dir.Sub("bot");
        // Written with the DHT off: only the bot below, found through the DHT, can hand it over.
        var sent = await CabalProgram.RunAsync(Bound, "send", key, "--data", data, "--no-lan", "--no-dht", "--text", "served by the bot");
        sent.AssertExit(0);

        await using var bot = CabalProgram.Start(null, ["seed", key, "--data", data, "--json", "--status-interval", "1", .. DhtOnly]);
        var got = await js.WaitForEventAsync("message", Bound, e => e.GetProperty("value").GetProperty("content").GetProperty("text").GetString() == "served by the bot");
        Assert.False(got.GetProperty("local").GetBoolean());

        // The bot says what the DHT did: bootstrapped, announced the cabal, and the peer came from the DHT.
        var events = new List<JsonElement>();
        var deadline = DateTime.UtcNow + Bound;
        while (!events.Any(e => e.GetProperty("event").GetString() == "dht-peer-connected") && DateTime.UtcNow < deadline)
        {
            var line = await bot.ReadLineAsync(deadline - DateTime.UtcNow);
            if (line is null) break;
            events.Add(JsonDocument.Parse(line).RootElement.Clone());
        }
        var names = events.Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Contains("dht-bootstrapped", names);
        Assert.Contains("dht-announced", names);
        var connected = events.First(e => e.GetProperty("event").GetString() == "peer-connected");
        Assert.Equal("dht", connected.GetProperty("source").GetString());

        // `cabal info` beside the bot is answered by the bot's node: its live DHT state.
        var info = await CabalProgram.RunAsync(Bound, "info", key, "--data", data, "--json");
        info.AssertExit(0);
        var dht = Assert.Single(info.Json()).GetProperty("dht");
        Assert.Equal("online", dht.GetProperty("state").GetString());
        Assert.True(dht.GetProperty("bootstrapped").GetBoolean());
        Assert.Equal(1, dht.GetProperty("peersConnected").GetProperty("dht").GetInt32());
        Assert.Contains(dht.GetProperty("announcedTopics").EnumerateArray(), t => t.GetString()!.Length == 64);
    }
}
