using System.Text;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Net.Protocol.Messages;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Replication;

// The replication state machine over in-memory channels, against real LMDB stores.
public sealed class FeedPeerTests : TwoStoreFixture
{
    private static Task Eventually(Func<bool> condition, string what, int seconds = 15) => Poll.UntilAsync(condition, what, TimeSpan.FromSeconds(seconds));

    private static async Task<Feed> Writer(FeedStore store, int blocks)
    {
        var w = await store.CreateWritableAsync();
        var batch = Enumerable.Range(0, blocks).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"block {i}")).ToList();
        for (var i = 0; i < blocks; i++) await w.AppendAsync(batch[i]);
        return w;
    }

    [Fact]
    public async Task DownloadsEverythingThenFollowsLiveAppends()
    {
        var writer = await Writer(_a, 300);
        var reader = await _b.GetOrAddRemoteAsync(writer.Key);
        InMemoryChannel.Connect(_ra, writer, _rb, reader);
        await Eventually(() => reader.Contiguous == 300, "all 300 blocks");
        Assert.True(reader.Audit().Ok);

        await writer.AppendAsync("live 1"u8.ToArray());
        await writer.AppendBatchAsync(["live 2"u8.ToArray(), "live 3"u8.ToArray()]);
        await Eventually(() => reader.Contiguous == 303, "live appends");
        Assert.Equal("live 3", Encoding.UTF8.GetString(reader.Get(302)));
    }

    [Fact]
    public async Task AcksReachTheWriterForEveryStoredBlock()
    {
        var writer = await Writer(_a, 50);
        var reader = await _b.GetOrAddRemoteAsync(writer.Key);
        InMemoryChannel.Connect(_ra, writer, _rb, reader, oa: new ReplicationOptions { Ack = true });
        var hub = _ra.Hub(writer);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await hub.WaitForAckAsync("peer-b", 49, cts.Token);
        await hub.WaitForAllPeersAsync(49, cts.Token);
        for (ulong i = 0; i < 50; i++) Assert.True(hub.HasAcked("peer-b", i));

        var next = await writer.AppendAsync("more"u8.ToArray());
        await hub.WaitForAckCountAsync(next, 1, cts.Token);
        Assert.Equal(1, hub.AckCount(next));
    }

    [Fact]
    public async Task BadSignatureClosesThatChannelAndStoresNothing()
    {
        var writer = await Writer(_a, 20);
        var reader = await _b.GetOrAddRemoteAsync(writer.Key);
        var (aToB, _, _, readerPeer) = InMemoryChannel.Connect(_ra, writer, _rb, reader);
        // Corrupt what the writer sends, as a malicious or broken peer would.
        aToB.Tamper = m =>
        {
            if (m is Data d && d.HasSignature)
            {
                var sig = d.Signature.ToByteArray();
                sig[0] ^= 1;
                d.Signature = Google.Protobuf.ByteString.CopyFrom(sig);
            }
            return m;
        };
        await Eventually(() => readerPeer.IsClosed, "the reader to close the channel");
        Assert.Equal(0UL, reader.DownloadedCount());
        Assert.True(_rb.Hub(reader).IsBarred("peer-a"));
    }

    [Fact]
    public async Task TwoPeersNeverFetchTheSameBlockTwice()
    {
        var writer = await Writer(_a, 200);
        await using var cStore = FeedStore.Open(_dir.Sub("c"));
        await using var rc = new Replicator(cStore);
        var mirror = await cStore.GetOrAddRemoteAsync(writer.Key);
        InMemoryChannel.Connect(_ra, writer, rc, mirror);
        await Eventually(() => mirror.Contiguous == 200, "the mirror to sync");

        var reader = await _b.GetOrAddRemoteAsync(writer.Key);
        var (w2r, _, _, _) = InMemoryChannel.Connect(_ra, writer, _rb, reader);
        var (m2r, _, _, _) = InMemoryChannel.Connect(rc, mirror, _rb, reader);
        await Eventually(() => reader.Contiguous == 200, "the reader to sync from both");
        Assert.True(reader.Audit().Ok);
    }

    [Fact]
    public async Task NonLiveReplicationEndsOnceTheReaderHasEverything()
    {
        var writer = await Writer(_a, 40);
        var reader = await _b.GetOrAddRemoteAsync(writer.Key);
        var nonLive = new ReplicationOptions { Live = false };
        var (_, _, w, r) = InMemoryChannel.Connect(_ra, writer, _rb, reader, nonLive, nonLive);
        await Eventually(() => w.IsClosed && r.IsClosed, "both sides to end the non-live session");
        Assert.Equal(40UL, reader.Contiguous);
    }

    [Fact]
    public async Task AnUploaderThatDoesNotUploadServesNothing()
    {
        var writer = await Writer(_a, 10);
        var reader = await _b.GetOrAddRemoteAsync(writer.Key);
        var (aToB, _, _, _) = InMemoryChannel.Connect(_ra, writer, _rb, reader, oa: new ReplicationOptions { Upload = false });
        await Task.Delay(500);
        Assert.Equal(0UL, reader.DownloadedCount());
        Assert.True(aToB.Sent >= 1); // the Status{uploading:false}
    }
}
