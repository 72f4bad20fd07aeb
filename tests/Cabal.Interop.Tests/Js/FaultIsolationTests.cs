using System.Text;
using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Tests;
using LightningDB;

namespace Cabal.Interop.Tests.Js;

// Two C# peers over TCP on 127.0.0.1 sharing two feeds on one connection.
public sealed class FaultIsolationTests
{
    [Fact]
    public async Task CorruptSignatureOnOneFeedLeavesTheConnectionAndTheOtherFeed()
    {
        using var dir = new TempDir();
        await using var a = FeedStore.Open(dir.Sub("a"));
        await using var b = FeedStore.Open(dir.Sub("b"));
        await using var ra = new Replicator(a);
        await using var rb = new Replicator(b);

        var bad = await a.CreateWritableAsync();
        var good = await a.CreateWritableAsync();
        for (var i = 0; i < 200; i++)
        {
            await bad.AppendAsync(Encoding.UTF8.GetBytes($"bad {i}"));
            await good.AppendAsync(Encoding.UTF8.GetBytes($"good {i}"));
        }
        // One side's storage corrupts every signature of one feed, so every Data it serves for it fails.
        await a.Enqueue(tx =>
        {
            var key = new byte[StorageKeys.EntryKeySize];
            for (ulong i = 0; i < 200; i++)
            {
                StorageKeys.Entry(bad.Number, i, key);
                var (rc, _, v) = tx.Get(a.Signatures, key);
                if (rc != MDBResultCode.Success) continue;
                var sig = v.CopyToNewArray();
                sig[10] ^= 0x40;
                tx.Put(a.Signatures, key, sig).ThrowOnError();
            }
        }, null);

        var badCopy = await b.GetOrAddRemoteAsync(bad.Key);
        var goodCopy = await b.GetOrAddRemoteAsync(good.Key);

        using var listener = Loopback.Listen();
        var accept = listener.AcceptAsync();
        await using var ca = await Loopback.DialAsync(listener.Port());
        await using var cb = await accept;
        await using var sa = new ReplicationSession(ra, ca);
        await using var sb = new ReplicationSession(rb, cb);
        ca.Start(); cb.Start();
        sa.Replicate(bad); sa.Replicate(good);
        var badPeer = sb.Replicate(badCopy);
        sb.Replicate(goodCopy);

        await Loopback.Eventually(() => goodCopy.Contiguous == 200, "the good feed to finish");
        await Loopback.Eventually(() => badPeer.IsClosed, "the bad feed's channel to close");
        Assert.Equal(0UL, badCopy.DownloadedCount());
        Assert.True(rb.Hub(badCopy).IsBarred(Convert.ToHexStringLower(ca.LocalStaticKey.Span)));
        Assert.False(ca.IsEnded);
        Assert.False(cb.IsEnded);
        Assert.True(goodCopy.Audit().Ok);

        // The connection still carries live data for the good feed.
        await good.AppendAsync("after the fault"u8.ToArray());
        await Loopback.Eventually(() => goodCopy.Contiguous == 201, "a live block after the fault");
    }
}
