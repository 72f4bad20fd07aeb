using System.Text;
using System.Text.Json;
using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Js;

// C# against the real JS hypercore 9 / hypercore-protocol 8 peer, over TCP on 127.0.0.1.
public sealed class HypercoreInteropTests : JsInteropTest
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private FeedStore _store = null!;
    private Replicator _replicator = null!;

    public override Task InitializeAsync()
    {
        _store = FeedStore.Open(Dir.Sub("store"));
        _replicator = new Replicator(_store);
        return Task.CompletedTask;
    }

    protected override async ValueTask DisposeResourcesAsync()
    {
        await _replicator.DisposeAsync();
        await _store.DisposeAsync();
    }

    /// <summary>1,000 blocks, every tenth 64 KiB, the rest small; deterministic.</summary>
    private static List<byte[]> BulkValues(int count = 1000)
    {
        var rng = new Random(1234);
        return Enumerable.Range(0, count).Select(i =>
        {
            var b = new byte[i % 10 == 0 ? 65536 : 1 + rng.Next(2000)];
            rng.NextBytes(b);
            return b;
        }).ToList();
    }

    private string ValuesFile(IEnumerable<byte[]> values)
    {
        var path = Dir.Sub("values-" + Guid.NewGuid().ToString("N")[..6] + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(values.Select(v => new { hex = Convert.ToHexStringLower(v) })));
        return path;
    }

    private async Task<ReplicationSession> StartSession(ProtocolConnection connection, ReplicationOptions? options = null)
    {
        Track(connection);
        var session = Track(new ReplicationSession(_replicator, connection, options));
        connection.Start();
        Assert.True(await connection.HandshakeCompleted.WaitAsync(Long), "handshake failed: " + connection.Error);
        return session;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DownloadsAndVerifiesABulkFeedServedByJs(bool weInitiate)
    {
        var values = BulkValues();
        var args = new List<string> { "--serve", "--values-file", ValuesFile(values), "--timeout", "120" };
        var listener = weInitiate ? null : Loopback.Listen();
        args.AddRange(weInitiate ? ["--listen", "0"] : ["--connect", $"127.0.0.1:{listener!.Port()}"]);
        var js = Track(JsPeer.Start("hypercore-peer.js", [.. args]));
        var key = Convert.FromHexString((await js.WaitForEventAsync("feed", Long)).GetProperty("key").GetString()!);
        var feed = await _store.GetOrAddRemoteAsync(key);

        var connection = weInitiate ? await Loopback.DialAsync(await js.ListeningPortAsync(Long)) : await listener!.AcceptAsync();
        listener?.Stop();
        var session = await StartSession(connection);
        session.Replicate(feed);

        await Loopback.Eventually(() => feed.Contiguous == 1000, "all 1,000 blocks", TimeSpan.FromSeconds(90));
        for (var i = 0; i < values.Count; i++) Assert.Equal(values[i], feed.Get((ulong)i));
        Assert.True(feed.Audit().Ok);
        Assert.False(connection.IsEnded);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task JsDownloadsAndVerifiesABulkFeedServedByUs(bool weInitiate)
    {
        var values = BulkValues();
        var feed = await _store.CreateWritableAsync();
        await feed.AppendBatchAsync(values.Take(500).Select(v => (ReadOnlyMemory<byte>)v).ToList());
        foreach (var v in values.Skip(500)) await feed.AppendAsync(v);

        var listener = weInitiate ? null : Loopback.Listen();
        var js = Track(JsPeer.Start("hypercore-peer.js", [
            "--fetch", feed.KeyHex, "--timeout", "120", .. (weInitiate ? new[] { "--listen", "0" } : ["--connect", $"127.0.0.1:{listener!.Port()}"])]));
        var connection = weInitiate ? await Loopback.DialAsync(await js.ListeningPortAsync(Long)) : await listener!.AcceptAsync();
        listener?.Stop();
        var session = await StartSession(connection);
        session.Replicate(feed);

        JsonElement done;
        try { done = await js.WaitForEventAsync("done", TimeSpan.FromSeconds(90)); }
        catch (InvalidOperationException e) { throw new InvalidOperationException($"exit code {await js.WaitForExitAsync(Long)}; connection ended: {connection.IsEnded} {connection.Error}", e); }
        Assert.Equal(1000, done.GetProperty("audit").GetProperty("valid").GetInt32());
        Assert.Equal(0, done.GetProperty("audit").GetProperty("invalid").GetInt32());
        var blocks = js.Events.Where(e => e.GetProperty("event").GetString() == "block").ToList();
        Assert.Equal(1000, blocks.Count);
        Assert.Equal(Convert.ToHexStringLower(values[999]), blocks[999].GetProperty("hex").GetString());
        Assert.Equal(0, await js.WaitForExitAsync(Long));
    }

    [Fact]
    public async Task LiveAppendsReachJs()
    {
        var feed = await _store.CreateWritableAsync();
        for (var i = 0; i < 5; i++) await feed.AppendAsync(Encoding.UTF8.GetBytes($"before {i}"));
        var js = Track(JsPeer.Start("hypercore-peer.js", "--fetch", feed.KeyHex, "--listen", "0", "--expect", "8", "--timeout", "60"));
        var session = await StartSession(await Loopback.DialAsync(await js.ListeningPortAsync(Long)));
        session.Replicate(feed);
        await js.WaitForEventAsync("block", Long, e => e.GetProperty("index").GetInt32() == 4);

        await feed.AppendAsync("live 5"u8.ToArray());
        await feed.AppendBatchAsync(["live 6"u8.ToArray(), "live 7"u8.ToArray()]);
        var last = await js.WaitForEventAsync("block", TimeSpan.FromSeconds(20), e => e.GetProperty("index").GetInt32() == 7);
        Assert.Equal("live 7", last.GetProperty("value").GetString());
        Assert.Equal(0, await js.WaitForExitAsync(Long));
    }

    [Fact]
    public async Task LiveAppendsFromJsReachUs()
    {
        var js = Track(JsPeer.StartFixture("live-writer.js"));
        var key = Convert.FromHexString((await js.WaitForEventAsync("feed", Long)).GetProperty("key").GetString()!);
        var feed = await _store.GetOrAddRemoteAsync(key);
        var session = await StartSession(await Loopback.DialAsync(await js.ListeningPortAsync(Long)));
        session.Replicate(feed);
        await Task.Delay(300); // connected and idle: everything after this is live

        for (var i = 0; i < 5; i++)
        {
            await js.StandardInput.WriteLineAsync($"live {i}");
            await js.StandardInput.FlushAsync();
            var index = (ulong)i;
            await Loopback.Eventually(() => feed.Has(index), $"JS block {i}", TimeSpan.FromSeconds(10));
            Assert.Equal($"live {i}", Encoding.UTF8.GetString(feed.Get(index)));
        }
        Assert.True(feed.Audit().Ok);
    }

    [Fact]
    public async Task WeAcknowledgeEveryBlockJsSends()
    {
        var js = Track(JsPeer.Start("hypercore-peer.js", "--serve", "--blocks", "40", "--ack", "--listen", "0", "--timeout", "60"));
        var key = Convert.FromHexString((await js.WaitForEventAsync("feed", Long)).GetProperty("key").GetString()!);
        var feed = await _store.GetOrAddRemoteAsync(key);
        var session = await StartSession(await Loopback.DialAsync(await js.ListeningPortAsync(Long)));
        session.Replicate(feed);
        await Loopback.Eventually(() => feed.Contiguous == 40, "40 blocks");
        for (var i = 0; i < 40; i++)
            await js.WaitForEventAsync("ack", Long, e => e.GetProperty("start").GetInt32() == i);
    }

    [Fact]
    public async Task JsAcknowledgesEveryBlockWeSend()
    {
        var feed = await _store.CreateWritableAsync();
        for (var i = 0; i < 30; i++) await feed.AppendAsync(Encoding.UTF8.GetBytes($"block {i}"));
        var js = Track(JsPeer.Start("hypercore-peer.js", "--fetch", feed.KeyHex, "--ack", "--listen", "0", "--linger", "3000", "--timeout", "60"));
        var session = await StartSession(await Loopback.DialAsync(await js.ListeningPortAsync(Long)), new ReplicationOptions { Ack = true });
        session.Replicate(feed);
        var hub = _replicator.Hub(feed);
        using var cts = new CancellationTokenSource(Long);
        await hub.WaitForAllPeersAsync(29, cts.Token);
        for (ulong i = 0; i < 30; i++) Assert.Equal(1, hub.AckCount(i));

        // Receipts keep flowing for live appends.
        var next = await feed.AppendAsync("one more"u8.ToArray());
        await hub.WaitForAckCountAsync(next, 1, cts.Token);
    }

    [Fact]
    public async Task ChannelExtensionRoundTripsThroughJs()
    {
        var js = Track(JsPeer.Start("hypercore-peer.js", "--serve", "--blocks", "3", "--extension", "echo", "--listen", "0", "--timeout", "60"));
        var key = Convert.FromHexString((await js.WaitForEventAsync("feed", Long)).GetProperty("key").GetString()!);
        var feed = await _store.GetOrAddRemoteAsync(key);
        var session = await StartSession(await Loopback.DialAsync(await js.ListeningPortAsync(Long)));
        session.Replicate(feed);
        await Loopback.Eventually(() => feed.Contiguous == 3, "3 blocks");

        // Registered after the channel opened: Options is re-announced with the new list.
        var channel = session.Connection.Channels.Single(c => c.Key.SequenceEqual(key));
        var echoed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ext = channel.RegisterExtension("echo", (_, payload) => echoed.TrySetResult(Encoding.UTF8.GetString(payload.Span)));
        await Loopback.Eventually(() => ext.RemoteSupports, "JS to announce the echo extension");
        Assert.True(ext.Send("hello from C#"u8));
        var got = await js.WaitForEventAsync("extension", Long);
        Assert.Equal("hello from C#", got.GetProperty("text").GetString());
        Assert.Equal("hello from C#", await echoed.Task.WaitAsync(Long));
    }

    [Fact]
    public async Task BadSignatureFromJsClosesThatFeedOnly()
    {
        var js = Track(JsPeer.Start("hypercore-peer.js", "--serve", "--bad-signature", "--blocks", "3", "--listen", "0", "--timeout", "60"));
        var key = Convert.FromHexString((await js.WaitForEventAsync("feed", Long)).GetProperty("key").GetString()!);
        var feed = await _store.GetOrAddRemoteAsync(key);
        var session = await StartSession(await Loopback.DialAsync(await js.ListeningPortAsync(Long)));
        var peer = session.Replicate(feed);
        await Loopback.Eventually(() => peer.IsClosed, "the feed's channel to close");
        Assert.Equal(0UL, feed.DownloadedCount());
        Assert.True(_replicator.Hub(feed).IsBarred(Convert.ToHexStringLower(session.Connection.RemoteStaticKey!.Value.Span)));
        Assert.False(session.Connection.IsEnded); // our side never drops the connection for one feed
    }
}
