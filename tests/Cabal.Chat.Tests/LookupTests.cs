using System.Text;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

/// <summary>The read-only lookups behind /read, /search and the reasons of /hides.</summary>
public class LookupTests
{
    [Fact]
    public async Task ReadEntry_returns_the_raw_block_by_key_at_seq()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var other = await fx.AddUserAsync();
        const string json = "{\"type\":\"foo/bar\",\"content\":{\"x\":1},\"timestamp\":5}";
        var seq = await Raw(other, json);
        var mine = await core.PublishTextAsync("default", "hello");

        Assert.Equal(json, Encoding.UTF8.GetString(core.ReadEntry($"{other.KeyHex}@{seq}")!));
        Assert.Contains("\"text\":\"hello\"", Encoding.UTF8.GetString(core.ReadEntry($"{core.LocalKey.ToUpperInvariant()}@{mine}")!));
        Assert.Null(core.ReadEntry($"{other.KeyHex}@{seq + 5}"));
        Assert.Null(core.ReadEntry($"{new string('a', 64)}@0"));
        foreach (var bad in new[] { "", "abc@1", other.KeyHex, $"{other.KeyHex}@", $"{other.KeyHex}@-1", $"{other.KeyHex}@x", $"{other.KeyHex[..63]}g@1" })
            Assert.Throws<FormatException>(() => core.ReadEntry(bad));
    }

    [Fact]
    public async Task GetModerationAction_reads_a_rows_provenance()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var spammer = await fx.AddUserAsync();
        await core.HideAsync(spammer.KeyHex, "dev", "too loud");
        var chat = await core.PublishTextAsync("dev", "not a flag");
        await Sync(core);

        var row = Assert.Single(core.ListHidden("dev"));
        var action = core.GetModerationAction(row.Provenance!)!;
        Assert.Equal((core.LocalKey, "flags/add", spammer.KeyHex, "dev", "too loud"), (action.Author, action.Type, action.TargetId, action.Channel, action.Reason));
        Assert.Equal(["hide"], action.Flags);
        Assert.NotNull(action.Timestamp);
        Assert.Null(core.GetModerationAction($"{core.LocalKey}@{chat}"));
    }

    [Fact]
    public async Task SearchMessages_is_an_ordinal_substring_match_newest_first_and_bounded()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var bob = await fx.AddUserAsync("bob");
        var troll = await fx.AddUserAsync("troll");
        for (var i = 0; i < 1500; i++) await Say(bob, "dev", i % 500 == 0 ? $"needle {i}" : $"hay {i}", 1000 + i);
        await Say(bob, "dev", "NEEDLE upper case", 5000);
        await Say(bob, "other", "needle elsewhere", 5001);
        await Say(troll, "dev", "needle by a hidden user", 5002);
        await core.HideAsync(troll.KeyHex);
        await Sync(core);

        var (matches, scanned) = core.SearchMessages("dev", "needle");
        Assert.Equal(["needle 1000", "needle 500", "needle 0"], matches.Select(m => m.Text));
        Assert.Equal(1501, scanned);

        // Bounded: only the newest messages are looked at, and at most maxMatches are returned.
        (matches, scanned) = core.SearchMessages("dev", "needle", maxScanned: 800);
        Assert.Equal(["needle 1000"], matches.Select(m => m.Text));
        Assert.Equal(800, scanned);
        (matches, _) = core.SearchMessages("dev", "hay", maxMatches: 3);
        Assert.Equal(["hay 1499", "hay 1498", "hay 1497"], matches.Select(m => m.Text));
        Assert.Empty(core.SearchMessages("nowhere", "needle").Matches);
    }
}
