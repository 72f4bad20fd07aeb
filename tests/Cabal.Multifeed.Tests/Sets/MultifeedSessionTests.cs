using System.Text;
using Cabal.Multifeed.Sets;
using Cabal.Net;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Sets;

// Two or three C# peers over in-memory pipes: negotiation, transitive spreading, limits, length sync.
public sealed class MultifeedSessionTests : SetTestBase
{
    [Fact]
    public async Task LocalWriterIsCreatedOnceAndTaggedWithTheCabal()
    {
        var a = await Peer("a");
        var again = await a.Set.GetOrCreateLocalFeedAsync();
        Assert.Same(a.Set.LocalFeed, again);
        Assert.Equal("local", again.Name);
        Assert.True(again.Writable);
        Assert.Equal(_cabal, again.Group.ToArray());
        Assert.Single(a.Store.List(_cabal));
    }

    [Fact]
    public async Task TwoPeersExchangeFeedsAndBlocks()
    {
        var a = await Peer("a");
        var b = await Peer("b");
        await a.SayAsync("a0", "a1", "a2");
        await b.SayAsync("b0");
        var (sa, sb) = SetPeer.Connect(a, b);
        Assert.True(await sa.Ready.WaitAsync(SetPeer.Timeout));
        await SetPeer.Eventually(() => SetPeer.InSync(a, b) && a.Set.Count == 2, "two feeds on both sides");
        Assert.Equal("a2", Encoding.UTF8.GetString(b.Set.TryGet(a.Set.LocalFeed.KeyHex)!.Get(2)));
        Assert.True(b.Set.TryGet(a.Set.LocalFeed.KeyHex)!.Group.Span.SequenceEqual(_cabal));
        await SetPeer.Eventually(() => sa.RemotePeerId is not null && sb.RemotePeerId is not null, "peer ids");
        Assert.Equal(b.Set.LocalFeed.KeyHex, sa.RemotePeerId);
        Assert.Equal(a.Set.LocalFeed.KeyHex, sb.RemotePeerId);
        Assert.True(sa.LengthSyncActive && sb.LengthSyncActive);

        // Live: an append and a brand-new feed while connected both arrive.
        await a.SayAsync("a3");
        var extra = await a.Store.CreateWritableAsync(name: "second", group: _cabal);
        await extra.AppendAsync("x"u8.ToArray());
        await SetPeer.Eventually(() => SetPeer.InSync(a, b) && b.Set.Count == 3, "live append and new feed");
    }

    [Fact]
    public async Task FeedsSpreadTransitively()
    {
        var a = await Peer("a");
        var b = await Peer("b");
        var c = await Peer("c");
        await a.SayAsync("from a");
        await b.SayAsync("from b"); // an empty feed would not be stored (issue 20)
        await c.SayAsync("from c");
        SetPeer.Connect(a, b);
        await SetPeer.Eventually(() => SetPeer.InSync(a, b) && b.Set.Count == 2, "a-b");
        SetPeer.Connect(c, b); // a never meets c
        await SetPeer.Eventually(() => SetPeer.InSync(a, b, c) && a.Set.Count == 3, "c's feed reaches a through b");
        Assert.Equal("from c", Encoding.UTF8.GetString(a.Set.TryGet(c.Set.LocalFeed.KeyHex)!.Get(0)));
    }

    [Fact]
    public async Task FeedCapLimitsWhatIsAcceptedButKeepsTheSession()
    {
        var a = await Peer("a");
        for (var i = 0; i < 5; i++) await (await a.Store.CreateWritableAsync(name: "w" + i, group: _cabal)).AppendAsync("x"u8.ToArray());
        var b = await Peer("b", new MultifeedOptions { MaxFeeds = 3 });
        await b.SayAsync("b"); // an empty feed would not be stored (issue 20)
        var (sa, sb) = SetPeer.Connect(a, b);
        await SetPeer.Eventually(() => b.Set.Count == 3 && b.Set.Feeds.All(f => f.Writable || f.Length == a.Set.TryGet(f.KeyHex)!.Length), "b fills up to its cap");
        await Task.Delay(200);
        Assert.Equal(3, b.Set.Count);
        Assert.False(sb.Connection.IsEnded);
        Assert.Null(sb.EndReason);
        await SetPeer.Eventually(() => a.Set.Count == 7, "a still gets b's feed");
    }

    [Fact]
    public async Task WrongCabalKeyEndsTheSession()
    {
        var a = await Peer("a");
        var b = await Peer("b", cabal: Ed25519.NewKeyPair().PublicKey);
        var (sa, sb) = SetPeer.Connect(a, b);
        await sa.Completion.WaitAsync(SetPeer.Timeout);
        await sb.Completion.WaitAsync(SetPeer.Timeout);
        Assert.Contains("root channel", sa.EndReason ?? sb.EndReason, StringComparison.Ordinal);
        Assert.Single(a.Set.Feeds);
        Assert.Empty(a.Set.Sessions);
    }

    [Theory]
    [InlineData("""{"keys":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]}""", "malformed key")]
    [InlineData("""{"keys":[""", "not valid JSON")]
    [InlineData("OVERSIZED", "more than 5 keys")]
    public async Task BadManifestEndsTheSessionAndKeepsEverythingStored(string manifest, string reason)
    {
        var a = await Peer("a", new MultifeedOptions { MaxKeysPerMessage = 5 });
        await a.SayAsync("kept");
        if (manifest == "OVERSIZED")
            manifest = Encoding.UTF8.GetString(MultifeedWire.WriteManifest(Enumerable.Range(0, 6).Select(i => i.ToString("x64")).ToList()));
        var (ours, theirs) = SetPeer.ConnectionPair();
        var session = a.Set.Replicate(ours);
        await using var fake = new FakeMultifeedPeer(theirs, _cabal);
        fake.Start();
        await fake.Handshaken.WaitAsync(SetPeer.Timeout);
        fake.Manifest.Send(Encoding.UTF8.GetBytes(manifest));
        await session.Completion.WaitAsync(SetPeer.Timeout);
        Assert.Contains(reason, session.EndReason, StringComparison.Ordinal);
        Assert.True(ours.IsEnded);
        Assert.Equal("kept", Encoding.UTF8.GetString(a.Set.LocalFeed.Get(0)));
        Assert.Single(a.Set.Feeds);
    }

    [Fact]
    public async Task HandshakeVersionMismatchEndsTheSession()
    {
        var a = await Peer("a");
        var (ours, theirs) = SetPeer.ConnectionPair();
        var session = a.Set.Replicate(ours);
        await using var fake = new FakeMultifeedPeer(theirs, _cabal, version: "5.0.0");
        fake.Start();
        await session.Completion.WaitAsync(SetPeer.Timeout);
        Assert.Contains("version mismatch", session.EndReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnofferedAndUnrequestedKeysAreIgnored()
    {
        var a = await Peer("a");
        var (ours, theirs) = SetPeer.ConnectionPair();
        var session = a.Set.Replicate(ours);
        await using var fake = new FakeMultifeedPeer(theirs, _cabal);
        fake.Start();
        await fake.Handshaken.WaitAsync(SetPeer.Timeout);
        var stranger = new string('b', 64);
        // REPLICATE of a key we never requested, REQUEST of a key we never offered.
        fake.Replicate.Send(Encoding.UTF8.GetBytes($"[\"{stranger}\"]"));
        fake.Request.Send(Encoding.UTF8.GetBytes($"[\"{stranger}\"]"));
        await SetPeer.Eventually(() => fake.ReplicateReplies.Count > 0, "a's REPLICATE reply");
        Assert.Equal("[]", fake.ReplicateReplies[0]);
        Assert.Single(a.Set.Feeds);
        Assert.Null(session.EndReason);
    }

    [Fact]
    public async Task ReconnectingUpToDatePeersOpensOnlyChangedFeeds()
    {
        const int Feeds = 300;
        var a = await Peer("a");
        var b = await Peer("b");
        await a.SayAsync("a");
        await b.SayAsync("b");
        var writers = new List<Feed>();
        for (var i = 0; i < Feeds; i++)
        {
            var w = await a.Store.CreateWritableAsync(name: "w" + i, group: _cabal);
            await w.AppendAsync(Encoding.UTF8.GetBytes("m" + i));
            writers.Add(w);
        }
        var (sa, sb) = SetPeer.Connect(a, b);
        await SetPeer.Eventually(() => SetPeer.InSync(a, b) && b.Set.Count == Feeds + 2, "first sync");
        await sa.DisposeAsync();
        await sb.DisposeAsync();

        // Reconnect with nothing changed: no feed channel at all.
        (sa, sb) = SetPeer.Connect(a, b);
        await SetPeer.Eventually(() => sa.DormantFeedCount == Feeds + 2 && sb.DormantFeedCount == Feeds + 2, "all feeds dormant");
        Assert.Equal(0, sa.ActiveFeedCount);
        Assert.Single(sa.Connection.Channels); // the root channel only
        var frames = sa.Connection.FramesSent + sa.Connection.FramesReceived;
        Assert.True(frames < 30, $"{frames} frames for an unchanged reconnect");

        // While connected: an append on either side still replicates.
        await writers[7].AppendAsync("later"u8.ToArray());
        await b.SayAsync("b later");
        await SetPeer.Eventually(() => SetPeer.InSync(a, b) && b.Set.TryGet(writers[7].KeyHex)!.Length == 2, "changes after reconnect");
        Assert.Equal(2, sa.ActiveFeedCount);
        Assert.Equal(2, sb.ActiveFeedCount);
    }
}
