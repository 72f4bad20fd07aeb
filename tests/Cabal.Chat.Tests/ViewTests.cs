using Cabal.Chat.Events;
using Cabal.Chat.Messages;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

public class ViewTests
{
    [Fact]
    public async Task ChannelsAndMessagesInOrderWithDeterministicTies()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var alice = await fx.AddUserAsync("alice");
        var bob = await fx.AddUserAsync("bob");
        await Say(alice, "default", "a1", 1000);
        await Say(bob, "default", "b1", 1000); // same timestamp: JS would keep only one
        await Say(alice, "default", "a2", 2000);
        await Say(bob, "other", "elsewhere", 1500);
        await core.PublishTextAsync("default", "mine");
        await core.PublishEmoteAsync("default", "waves");
        await Raw(alice, "{\"type\":\"chat/whatever\",\"content\":{\"channel\":\"custom\",\"text\":\"x\"},\"timestamp\":5}");
        await core.JoinAsync("joined-only");
        await Sync(core);

        Assert.Equal(["custom", "default", "other"], core.GetChannels()); // join alone creates no channel
        var newest = core.GetMessages("default");
        Assert.Equal(["waves", "mine", "a2"], newest.Take(3).Select(m => m.Text));
        Assert.True(newest[0].IsEmote);
        var tied = newest.Skip(3).ToList();
        Assert.Equal(2, tied.Count);
        var expectedTie = new[] { alice.KeyHex, bob.KeyHex }.Order(StringComparer.Ordinal).Reverse().ToArray();
        Assert.Equal(expectedTie, tied.Select(m => m.Author));

        var oldest = core.GetMessages("default", new MessageQuery { OldestFirst = true, Limit = 2 });
        Assert.Equal(tied.AsEnumerable().Reverse().Select(m => m.Text), oldest.Select(m => m.Text));

        // Paging: before a bare timestamp excludes all its ties; from a message position nothing is skipped.
        Assert.Empty(core.GetMessages("default", new MessageQuery { Before = new MessagePosition(1000) }));
        var page1 = core.GetMessages("default", new MessageQuery { Limit = 4 });
        var page2 = core.GetMessages("default", new MessageQuery { Limit = 4, Before = page1[^1].Position });
        Assert.Equal(newest.Select(m => m.Text), page1.Concat(page2).Select(m => m.Text));
        var after = core.GetMessages("default", new MessageQuery { After = new MessagePosition(1000), OldestFirst = true });
        Assert.Equal("a2", after[0].Text);
    }

    [Fact]
    public async Task FutureTimestampsSortAsArrivalButKeepTheirClaim()
    {
        await using var fx = new ChatFixture();
        var clock = new FixedTime(1_700_000_000_000);
        var core = await fx.OpenAsync(options: Options with { TimeProvider = clock });
        var alice = await fx.AddUserAsync();
        await Say(alice, "default", "from the future", 1_800_000_000_000);
        await Sync(core);
        await Say(alice, "default", "later but honest", 1_699_999_999_999);
        await Sync(core);
        var m = core.GetMessages("default");
        Assert.Equal("from the future", m[0].Text);
        Assert.Equal(1_800_000_000_000, m[0].Timestamp);
        Assert.Equal(1_700_000_000_000, m[0].IndexTimestamp);
    }

    [Fact]
    public async Task TopicWinnerIsTheNewestNotTheLastIndexed()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var alice = await fx.AddUserAsync();
        await alice.AppendAsync(MessageEncoder.Chat(MessageTypes.Topic, "default", "new topic", 2000));
        await Sync(core);
        await alice.AppendAsync(MessageEncoder.Chat(MessageTypes.Topic, "default", "old topic", 1000));
        await Sync(core);
        Assert.Equal("new topic", core.GetTopic("default"));
        Assert.Null(core.GetTopic("nope"));
        Assert.Contains(core.GetMessages("default"), m => m.IsTopic && m.Text == "old topic"); // topics are history too
        await core.SetTopicAsync("default", "mine now");
        await Sync(core);
        Assert.Equal("mine now", core.GetTopic("default"));
    }

    [Fact]
    public async Task UsersNicksAndMemberships()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var alice = await fx.AddUserAsync();
        await Raw(alice, "{\"type\":\"about\",\"content\":{\"name\":\"alice\"},\"timestamp\":1}");
        await Raw(alice, "{\"type\":\"about\",\"content\":{\"name\":\"alice2\",\"extra\":1},\"timestamp\":2}");
        await Raw(alice, "{\"type\":\"channel/join\",\"content\":{\"channel\":\"a\"},\"timestamp\":3}");
        await Raw(alice, "{\"type\":\"channel/join\",\"content\":{\"channel\":\"b\"},\"timestamp\":4}");
        await Raw(alice, "{\"type\":\"channel/leave\",\"content\":{\"channel\":\"a\"},\"timestamp\":5}");
        await core.SetNickAsync("me");
        await core.JoinAsync("b");
        var lurker = await fx.AddUserAsync("lurker");
        await Raw(lurker, "{\"type\":\"foo/bar\",\"content\":{},\"timestamp\":1}");
        await Sync(core);

        Assert.Equal("alice2", core.GetUser(alice.KeyHex)!.Name);
        Assert.Equal("me", core.GetUser(core.LocalKey)!.DisplayName);
        var l = core.GetUser(lurker.KeyHex)!;
        Assert.Null(l.Name);
        Assert.Equal(lurker.KeyHex[..8], l.DisplayName);
        Assert.Equal(3, core.GetUsers().Count);
        Assert.Equal(["b"], core.GetMemberships(alice.KeyHex));
        Assert.False(core.IsMember(alice.KeyHex, "a"));
        Assert.Equal(new[] { alice.KeyHex, core.LocalKey }.Order(), core.GetMembers("b").Order());
    }

    [Fact]
    public async Task ArchivesCountOnlyAdminsAndModsAndMyUnarchiveWins()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var nobody = await fx.AddUserAsync("nobody");
        var mod = await fx.AddUserAsync("mod");
        await Raw(nobody, "{\"type\":\"channel/archive\",\"content\":{\"channel\":\"x\",\"reason\":\"\"},\"timestamp\":1}");
        await core.AddModAsync(mod.KeyHex);
        await Sync(core);
        await Raw(mod, "{\"type\":\"channel/archive\",\"content\":{\"channel\":\"y\",\"reason\":\"old\"},\"timestamp\":2}");
        await core.ArchiveAsync("z", "mine");
        await Sync(core);
        Assert.Equal(["y", "z"], core.GetArchivedChannels());
        await core.UnarchiveAsync("y");
        await Sync(core);
        Assert.Equal(["z"], core.GetArchivedChannels());
        Assert.Equal(["y"], core.GetUnarchivedBy(core.LocalKey));
    }

    [Fact]
    public async Task EventsArriveWithoutBlocking()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        using var sub = core.Subscribe();
        await core.PublishTextAsync("default", "hi");
        using var cts = new CancellationTokenSource(WaitLimit);
        var seen = new List<CabalEvent>();
        await foreach (var e in sub.ReadAllAsync(cts.Token))
        {
            seen.Add(e);
            if (e is MessageReceived) break;
        }
        Assert.Contains(seen, e => e is ChannelAdded { Channel: "default" });
        Assert.Equal("hi", seen.OfType<MessageReceived>().Single().Message.Text);
        var peerKey = new string('a', 64);
        core.ReportPeer(peerKey, true);
        await foreach (var e in sub.ReadAllAsync(cts.Token))
            if (e is PeerChanged p) { Assert.True(p.Connected); break; }
        Assert.Contains(peerKey, core.OnlinePeers);
    }
}
