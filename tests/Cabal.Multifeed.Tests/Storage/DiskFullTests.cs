using System.Diagnostics;
using System.Text;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Multifeed.Tests.Replication;
using Cabal.Multifeed.Tests.Sets;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Storage;

// A real full disk: the reader's store on a 1 MiB tmpfs, fed 40 blocks of 32 KiB. Needs permission
// to mount (root, as in CI); skipped otherwise. The status must never count a block that is not on
// disk (a restart shows the same count), and once the tmpfs grows every block arrives.
public sealed class DiskFullTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int BlockSize = 32 * 1024;

    private static byte[] Block(int i)
    {
        var b = new byte[BlockSize];
        new Random(i).NextBytes(b);
        Encoding.ASCII.GetBytes($"block {i:D3}").CopyTo(b, 0);
        return b;
    }

    [TmpfsFact]
    public async Task ReplicatingIntoAFullTmpfsReportsOnlyWhatIsOnDiskAndCompletesWhenSpaceReturns()
    {
        using var dir = new TempDir();
        using var tmpfs = Tmpfs.Mount(dir.Sub("small"), "1m");
        await using var writerStore = FeedStore.Open(dir.Sub("writer"), new FeedStoreOptions { Durable = false });
        await using var ra = new Replicator(writerStore);
        var writer = await writerStore.CreateWritableAsync();
        for (var i = 0; i < 10; i++) await writer.AppendAsync(Block(i));

        var readerPath = System.IO.Path.Combine(tmpfs.Path, "reader");
        var options = new FeedStoreOptions { MapSize = 64L << 20 };
        var readerStore = FeedStore.Open(readerPath, options);
        var rb = new Replicator(readerStore);
        var reader = await readerStore.GetOrAddRemoteAsync(writer.Key);
        var (_, _, pa, pb) = InMemoryChannel.Connect(ra, writer, rb, reader);
        await SetPeer.Eventually(() => reader.Contiguous == 10, "the first 10 blocks");

        for (var i = 10; i < 40; i++) await writer.AppendAsync(Block(i));
        // The disk fills: wait until the reported count has stopped moving (failed blocks are retried
        // about once a second, and keep failing).
        var reported = await SettledCountAsync(reader);
        output.WriteLine($"disk full: {reported} of 40 blocks reported");
        Assert.True(reported < 40, $"all 40 blocks of {BlockSize} bytes fit on a 1 MiB tmpfs? reported {reported}");

        // Restart while full: what is on disk is exactly what was reported.
        pa.OnClosed(); pb.OnClosed();
        await rb.DisposeAsync();
        await readerStore.DisposeAsync();
        readerStore = FeedStore.Open(readerPath, options);
        rb = new Replicator(readerStore);
        try
        {
            reader = readerStore.TryGet(writer.Key)!;
            Assert.Equal(reported, reader.DownloadedCount());
            Assert.True(reader.Audit().Ok);

            InMemoryChannel.Connect(ra, writer, rb, reader);
            tmpfs.Resize("32m");
            await SetPeer.Eventually(() => reader.Contiguous == 40, "every block once space returns", TimeSpan.FromSeconds(60));
            Assert.Equal(40UL, reader.DownloadedCount());
            Assert.True(reader.Audit().Ok);
            Assert.Equal(Block(39), reader.Get(39));
        }
        finally
        {
            await rb.DisposeAsync();
            await readerStore.DisposeAsync();
        }
    }

    private static async Task<ulong> SettledCountAsync(Feed reader)
    {
        var sw = Stopwatch.StartNew();
        var last = reader.DownloadedCount();
        var since = sw.Elapsed;
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
            var now = reader.DownloadedCount();
            if (now != last) { last = now; since = sw.Elapsed; }
            else if (sw.Elapsed - since > TimeSpan.FromSeconds(3) && now > 10) return now;
        }
        return last;
    }
}
