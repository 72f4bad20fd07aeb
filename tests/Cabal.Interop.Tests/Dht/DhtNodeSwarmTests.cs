using System.Text.Json;
using Cabal.Interop.Tests.Js;
using Cabal.Interop.Tests.Legacy;
using Cabal.Interop.Tests.Program;

namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// Issue 16, "C# alone": on a network of `cabal dht-node` processes only (no JS DHT node), cabal peers
/// given nothing but the cabal key and the loopback bootstrap find each other through the DHT: a C# bot
/// and a C# reader, and a JS cabal-core peer on its own hyperswarm and a C# reader. No --peer, LAN off.
/// </summary>
[Collection(DhtInteropCollection.Name)]
public class DhtNodeSwarmTests : JsInteropTest
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ACSharpBotAndACSharpReaderFindEachOther()
    {
        var network = Track(await DhtNodeNetwork.StartAsync(4));
        var botDir = Path.Combine(Dir.Path, "bot");
        var key = await CabalProgram.NewCabalAsync(botDir);
        (await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), "nick", key, "botty", "--data", botDir)).AssertExit(0);
        (await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), "send", key, "--channel", "default", "--text", "served by the C# bot", "--data", botDir)).AssertExit(0);
        var bot = Track(await SeedBot.StartAsync(key, botDir, null, "--bootstrap", network.Bootstrap, "--no-lan"));

        var messages = await ReadThroughDhtAsync(key, network.Bootstrap);
        var m = Assert.Single(messages);
        Assert.Equal("served by the C# bot", CabalProgram.Text(m));
        Assert.Equal("botty", m.GetProperty("nick").GetString());
        await bot.WaitForEventAsync("peer-connected", Bound);
    }

    [FactRequiring("node")]
    public async Task AJsSwarmPeerAndACSharpReaderFindEachOther()
    {
        var network = Track(await DhtNodeNetwork.StartAsync(4));
        var js = Track(JsPeer.Start("cabal-peer.js", "--swarm", "--bootstrap", network.Bootstrap, "--nick", "alice", "--say", "default:hello from cabal-core", "--timeout", "180"));
        var key = (await js.WaitForEventAsync("ready", Bound)).GetProperty("key").GetString()!;
        await js.WaitForEventAsync("swarm-joined", Bound);

        var messages = await ReadThroughDhtAsync(key, network.Bootstrap);
        var m = Assert.Single(messages);
        Assert.Equal("hello from cabal-core", CabalProgram.Text(m));
        Assert.Equal("alice", m.GetProperty("nick").GetString());
        var connection = await js.WaitForEventAsync("swarm-connection", Bound);
        Assert.Equal(64, connection.GetProperty("remotePublicKey").GetString()!.Length);
    }

    /// <summary>`cabal read KEY --bootstrap B --no-lan --join --json` in a fresh data directory: it must sync through the DHT alone.</summary>
    private async Task<IReadOnlyList<JsonElement>> ReadThroughDhtAsync(string key, string bootstrap)
    {
        var r = await CabalProgram.RunAsync(Bound, "read", key, "--data", Path.Combine(Dir.Path, "reader"), "--bootstrap", bootstrap, "--no-lan", "--join", "--json", "--timeout", "60");
        r.AssertExit(0);
        return r.Json();
    }
}
