using System.Text;
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Storage;

public sealed class RemoteFeedTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<Feed> WriterWith(FeedStore store, int blocks)
    {
        var w = await store.CreateWritableAsync();
        for (var i = 0; i < blocks; i++) await w.AppendAsync(Encoding.UTF8.GetBytes($"block {i}"));
        return w;
    }

    private static Task Send(Feed from, Feed to, ulong index)
    {
        var proof = ProofBuilder.Build(from, index);
        var sig = proof.NeedsSignature ? from.GetSignature(proof.SignatureIndex) : null;
        return to.VerifyAndStore(index, from.Get(index), proof.Nodes, sig);
    }

    [Fact]
    public async Task AFeedHoldsNoOverlayOnceEverythingIsDurable()
    {
        // Idle feeds must not keep per-feed dictionaries: a cabal holds thousands of feeds.
        await using var src = FeedStore.Open(_dir.Sub("a"));
        var writer = await WriterWith(src, 12);
        Assert.False(writer.HasPendingOverlay);
        await using var dst = FeedStore.Open(_dir.Sub("b"));
        var reader = await dst.GetOrAddRemoteAsync(writer.Key);
        var pending = Enumerable.Range(0, 12).Select(i => Send(writer, reader, (ulong)i)).ToList();
        // Queued, durable or not: readable either way.
        Assert.True(reader.Has(11));
        Assert.Equal("block 11", Encoding.UTF8.GetString(reader.Get(11)));
        await Task.WhenAll(pending);
        Assert.False(reader.HasPendingOverlay);
        Assert.Equal("block 11", Encoding.UTF8.GetString(reader.Get(11)));
        Assert.True(reader.Audit().Ok);
    }

    [Fact]
    public async Task BlocksInRandomOrderVerifyAndPersist()
    {
        await using var src = FeedStore.Open(_dir.Sub("a"));
        var writer = await WriterWith(src, 37);
        await using (var dst = FeedStore.Open(_dir.Sub("b")))
        {
            var reader = await dst.GetOrAddRemoteAsync(writer.Key);
            var order = Enumerable.Range(0, 37).Select(i => (ulong)i).OrderBy(_ => Random.Shared.Next()).ToList();
            var pending = order.Select(i => Send(writer, reader, i)).ToList();
            await Task.WhenAll(pending);
            Assert.Equal(37UL, reader.Length);
            Assert.Equal(37UL, reader.Contiguous);
            Assert.True(reader.Audit().Ok);
        }
        await using (var dst = FeedStore.Open(_dir.Sub("b")))
        {
            var reader = Assert.Single(dst.Feeds);
            Assert.Equal("block 36", Encoding.UTF8.GetString(reader.Get(36)));
            Assert.True(reader.Audit().Ok);
            Assert.Equal(writer.Signature, reader.Signature);
        }
    }

    [Fact]
    public async Task SparseFeedKeepsItsHolesAcrossRestart()
    {
        await using var src = FeedStore.Open(_dir.Sub("a"));
        var writer = await WriterWith(src, 20);
        await using (var dst = FeedStore.Open(_dir.Sub("b")))
        {
            var reader = await dst.GetOrAddRemoteAsync(writer.Key);
            for (ulong i = 1; i < 20; i += 3) await Send(writer, reader, i);
        }
        await using (var dst = FeedStore.Open(_dir.Sub("b")))
        {
            var reader = Assert.Single(dst.Feeds);
            Assert.Equal(20UL, reader.Length);
            Assert.Equal(0UL, reader.Contiguous);
            for (ulong i = 0; i < 20; i++) Assert.Equal(i % 3 == 1, reader.Has(i));
            Assert.Throws<BlockNotAvailableException>(() => reader.Get(0));
            Assert.Equal(7UL, reader.DownloadedCount());
            // Filling the holes later makes it contiguous.
            for (ulong i = 0; i < 20; i++) if (i % 3 != 1) await Send(writer, reader, i);
            Assert.Equal(20UL, reader.Contiguous);
            Assert.True(reader.Audit().Ok);
        }
    }

    [Fact]
    public async Task BadSignatureOrProofStoresNothing()
    {
        await using var src = FeedStore.Open(_dir.Sub("a"));
        var writer = await WriterWith(src, 5);
        await using var dst = FeedStore.Open(_dir.Sub("b"));
        var reader = await dst.GetOrAddRemoteAsync(writer.Key);

        var proof = ProofBuilder.Build(writer, 2);
        var sig = writer.GetSignature(proof.SignatureIndex)!;
        sig[0] ^= 1;
        Assert.Throws<ProofVerificationException>(() => { _ = reader.VerifyAndStore(2, writer.Get(2), proof.Nodes, sig); });
        Assert.Throws<ProofVerificationException>(() => { _ = reader.VerifyAndStore(2, "forged"u8.ToArray(), proof.Nodes, writer.GetSignature(proof.SignatureIndex)); });
        Assert.Equal(0UL, reader.Length);
        Assert.False(reader.Has(2));

        await Send(writer, reader, 2);
        Assert.True(reader.Has(2));
        Assert.Equal(5UL, reader.Length);
    }

    [Fact]
    public async Task HaveBitfieldEncodesHeldBlocks()
    {
        await using var src = FeedStore.Open(_dir.Sub("a"));
        var writer = await WriterWith(src, 3);
        Assert.Equal("02e0", TestPaths.ToHex(writer.EncodeDataBits(0, 1 << 20)));
        await using var dst = FeedStore.Open(_dir.Sub("b"));
        var reader = await dst.GetOrAddRemoteAsync(writer.Key);
        Assert.Empty(reader.EncodeDataBits(0, 1 << 20));
        await Send(writer, reader, 1);
        Assert.Equal("0240", TestPaths.ToHex(reader.EncodeDataBits(0, 1 << 20)));
    }
}
