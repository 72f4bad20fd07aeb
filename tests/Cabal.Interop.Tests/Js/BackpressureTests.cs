using System.Diagnostics;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Js;

// A greedy, slow reader: it requests every block at once and then reads a trickle. The uploader's
// send queue must stay bounded instead of buffering the whole feed.
public sealed class BackpressureTests
{
    /// <summary>A stream whose reads return at most 16 KiB and take 20 ms each: a slow network reader.</summary>
    private sealed class SlowReadStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            await Task.Delay(20, ct);
            return await inner.ReadAsync(buffer[..Math.Min(buffer.Length, 16 * 1024)], ct);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => inner.WriteAsync(buffer, ct);
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }

    [Fact]
    public async Task SendQueueStaysBoundedForAGreedySlowReader()
    {
        using var dir = new TempDir();
        await using var store = FeedStore.Open(dir.Sub("a"));
        await using var replicator = new Replicator(store);
        var feed = await store.CreateWritableAsync();
        var block = new byte[64 * 1024];
        Random.Shared.NextBytes(block);
        await feed.AppendBatchAsync(Enumerable.Range(0, 300).Select(_ => (ReadOnlyMemory<byte>)block).ToList());

        using var listener = Loopback.Listen();
        var accept = listener.AcceptAsync();
        var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, listener.Port());
        await using var greedy = new ProtocolConnection(new SlowReadStream(client.GetStream()), isInitiator: true);
        await using var server = await accept;
        await using var session = new ReplicationSession(replicator, server);
        server.Start();
        greedy.Start();
        session.Replicate(feed);

        var channel = greedy.OpenChannel(feed.Key);
        Assert.True(await channel.RemoteOpened.WaitAsync(Loopback.Timeout));
        for (ulong i = 0; i < 300; i++) channel.Send(WireMessages.Request(i)); // ~19 MiB asked for at once

        long maxQueued = 0;
        var received = 0;
        var sw = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            while (!cts.IsCancellationRequested)
            {
                maxQueued = Math.Max(maxQueued, server.QueuedSendBytes);
                while (channel.Messages.TryRead(out var m)) if (m is Data) received++;
                await Task.Delay(5, cts.Token);
            }
        }
        catch (OperationCanceledException) { }

        // The bound is the connection's send limit (1 MiB) plus the one message that crossed it.
        Assert.True(maxQueued <= (1 << 20) + (128 << 10), $"the send queue reached {maxQueued >> 10} KiB");
        Assert.True(received < 300, "the slow reader cannot have read everything in 3 s; the test is not exercising backpressure");
        Assert.False(server.IsEnded);
    }
}
