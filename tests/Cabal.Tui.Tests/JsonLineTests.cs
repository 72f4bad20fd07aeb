using System.Text.Json;
using Cabal.Chat.Messages;
using Cabal.Cli;

namespace Cabal.Tui.Tests;

/// <summary>
/// The program's --json lines are written without reflection (Native AOT has none): by the source
/// generator (CliJson) or Utf8JsonWriter. Scripts parse them, so each must match, byte for byte, what
/// the reflection serializer wrote for the anonymous object it replaced (available here, under the JIT).
/// </summary>
public sealed class JsonLineTests
{
    private const string Text = "héllo \"q\" <b> & + ' 😀\u0001";

    [Fact]
    public async Task Message_lines_match_the_reflection_serializer()
    {
        var (host, core) = await TestChatHost.SeededAsync(null);
        await using var _ = host;
        await core.SetNickAsync("Zoë <&>");
        await core.WaitForIndexAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        var nick = core.GetUser(core.LocalKey)?.Name;

        var m = new ChatMessage("dev", core.LocalKey, 7, MessageTypes.Text, Text, 1_796_440_835_915.5, 0);
        Assert.Equal(
            JsonSerializer.Serialize(new { feed = m.Author, seq = m.Seq, timestamp = m.Timestamp, type = m.Type, content = new { channel = m.Channel, text = m.Text }, nick }),
            ReadCommand.JsonLine(core, m));

        var p = new PrivateMessage(new string('a', 64), core.LocalKey, 8, "encrypted", Text, 1_796_440_835_916, 0);
        Assert.Equal(
            JsonSerializer.Serialize(new { feed = p.Author, seq = p.Seq, timestamp = p.Timestamp, type = p.Type, @private = true, peer = p.Peer, content = new { text = p.Text }, nick }),
            ReadCommand.PrivateJsonLine(core, p));
    }

    [Fact]
    public void Generated_lines_match_the_reflection_serializer()
    {
        Assert.Equal(
            JsonSerializer.Serialize(new { error = "usage", code = 64, message = Text }),
            CliJson.Line(new ErrorLine("usage", 64, Text)));
        Assert.Equal(
            JsonSerializer.Serialize(new { @event = "status", cabal = "ab", peers = 1, feeds = 2, blocks = 3UL, knownBlocks = 4UL, indexed = 5L, dht = "off", lockdown = false }),
            CliJson.Line(new StatusEvent("status", "ab", 1, 2, 3, 4, 5, "off", false)));
        Assert.Equal(
            JsonSerializer.Serialize(new { @event = "bootstrapped", ms = 12.0, nodes = 0, persistent = true, firewalled = false, address = (string?)null, id = (string?)null }),
            CliJson.Line(new DhtNodeBootstrappedEvent("bootstrapped", 12, 0, true, false, null, null)));
        var found = new Dictionary<string, int> { ["dht"] = 1, ["lan"] = 0, ["direct"] = 2 };
        Assert.Equal(
            JsonSerializer.Serialize(new
            {
                state = "online", bootstrapped = true, nodes = 3, firewalled = false, persistent = false, publicAddress = "127.0.0.1:1", localAddress = (string?)null,
                announcedTopics = new[] { "cd" }, peersFound = found, peersConnected = found, error = (string?)null,
            }),
            CliJson.Line(new InfoDht("online", true, 3, false, false, "127.0.0.1:1", null, ["cd"], found, found, null)));
        Assert.Equal(
            JsonSerializer.Serialize(new { cabal = "ab", url = "cabal://ab", name = (string?)null, nick = "n", lastUsed = (DateTimeOffset?)new DateTimeOffset(2026, 12, 5, 3, 20, 38, TimeSpan.Zero), feeds = 1 }),
            CliJson.Line(new CabalLine("ab", "cabal://ab", null, "n", new DateTimeOffset(2026, 12, 5, 3, 20, 38, TimeSpan.Zero), 1)));
    }
}
