using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Tests.Replication;
using Cabal.Net;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Multifeed;

// Two peers that each upload to the other over one TCP connection on 127.0.0.1, with send queues
// far smaller than what they have to send. Messages that would make a peer send more wait while its
// queue is full (ProtocolConnection.Dispatch), but neither stops reading, so neither can wait for
// the other forever: both syncs finish.
public sealed class MutualBackpressureTests : TwoStoreFixture
{
    private static async Task<(ProtocolConnection A, ProtocolConnection B)> ConnectAsync(ProtocolConnectionOptions options)
    {
        var (client, server) = await LoopbackTcp.PairAsync();
        return (new ProtocolConnection(client, isInitiator: true, options), new ProtocolConnection(server, isInitiator: false, options));
    }

    private static async Task<List<Feed>> WritersAsync(Cabal.Multifeed.Storage.FeedStore store, int feeds, int blocks, byte fill)
    {
        var list = new List<Feed>();
        for (var f = 0; f < feeds; f++)
        {
            var w = await store.CreateWritableAsync();
            await w.AppendBatchAsync(Enumerable.Range(0, blocks).Select(i => (ReadOnlyMemory<byte>)Enumerable.Repeat(fill, 3000).ToArray()).ToList());
            list.Add(w);
        }
        return list;
    }

    [Fact]
    public async Task BothSidesUploadingThroughTinySendQueuesStillFinish()
    {
        const int feeds = 8, blocks = 60;
        var ofA = await WritersAsync(_a, feeds, blocks, 0xA);
        var ofB = await WritersAsync(_b, feeds, blocks, 0xB);
        var copiesOnB = new List<Feed>();
        foreach (var w in ofA) copiesOnB.Add(await _b.GetOrAddRemoteAsync(w.Key));
        var copiesOnA = new List<Feed>();
        foreach (var w in ofB) copiesOnA.Add(await _a.GetOrAddRemoteAsync(w.Key));

        // 4 KB: about one block. Every Request the remote sends overflows the queue at once.
        var (ca, cb) = await ConnectAsync(new ProtocolConnectionOptions { MaxQueuedSendBytes = 4096 });
        await using var _ca = ca;
        await using var _cb = cb;
        await using var sa = new ReplicationSession(_ra, ca);
        await using var sb = new ReplicationSession(_rb, cb);
        ca.Start();
        cb.Start();
        foreach (var f in ofA.Concat(copiesOnA)) sa.Replicate(f);
        foreach (var f in ofB.Concat(copiesOnB)) sb.Replicate(f);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (copiesOnA.Concat(copiesOnB).Any(c => c.Contiguous < blocks))
        {
            Assert.True(DateTime.UtcNow < deadline, "the two-way sync did not finish within 60 s");
            Assert.False(ca.IsEnded || cb.IsEnded);
            await Task.Delay(20);
        }
        Assert.All(copiesOnA.Concat(copiesOnB), c => Assert.True(c.Audit().Ok));
        Assert.True(ca.MessagesDeferred > 0 && cb.MessagesDeferred > 0, $"requests waited: {ca.MessagesDeferred} / {cb.MessagesDeferred}");
        Assert.False(ca.IsEnded || cb.IsEnded);
    }
}
