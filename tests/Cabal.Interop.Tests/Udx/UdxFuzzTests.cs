using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cabal.Net.Udx;
using Cabal.Tests;
using static Cabal.Interop.Tests.Udx.UdxTestKit;
using UdxInstance = Cabal.Net.Udx.Udx;

namespace Cabal.Interop.Tests.Udx;

/// <summary>Hostile datagrams into a live socket: random, truncated, mutated captures, forged headers for live streams.</summary>
[Collection(UdxCollection.Name)]
public sealed class UdxFuzzTests
{
    private const int Total = 1_000_000;
    private const int PoolSize = 16;

    private static readonly UdxPacketType[] Types =
    [
        UdxPacketType.Ack, UdxPacketType.Data, UdxPacketType.End, UdxPacketType.Data | UdxPacketType.End,
        UdxPacketType.Sack, UdxPacketType.Message, UdxPacketType.Heartbeat,
    ];

    [Fact]
    public async Task AMillionHostilePacketsNeverEscapeTheReceiveLoopAndMemoryStaysBounded()
    {
        const int window = 256 * 1024;
        await using var udx = new UdxInstance(new UdxOptions { ReceiveWindow = window, Linger = TimeSpan.Zero });
        var target = udx.Bind(AnyLoopbackPort);
        long plain = 0;
        target.OnDatagram = (d, _) =>
        {
            Interlocked.Increment(ref plain);
            if (d.Length == 3 && d.Span[0] == 0xee) throw new InvalidOperationException("a handler fault");
        };

        // A black hole for the connected streams' data: bound, never read.
        using var hole = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        hole.Bind(AnyLoopbackPort);
        var holeEndPoint = (IPEndPoint)hole.LocalEndPoint!;

        var pool = new UdxStream[PoolSize];
        var replaced = 0;
        void Refill()
        {
            for (var i = 0; i < pool.Length; i++)
            {
                if (pool[i] is { } s && !s.Closed.IsCompleted) continue;
                var stream = udx.CreateStream();
                if (i % 2 == 0)
                {
                    // Connected, with data in flight: forged ACKs and SACKs meet real sender state.
                    stream.Connect(target, 7, holeEndPoint);
                    _ = stream.Output.WriteAsync(new byte[48 * 1024]).AsTask();
                }
                else
                {
                    stream.Firewall = (_, _) => false; // unconnected, accepting: the deferred-ACK path
                }
                pool[i] = stream;
                replaced++;
            }
        }
        Refill();

        var captures = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Interop, "dht-vectors.json"))).RootElement
            .GetProperty("udx").GetProperty("phases").EnumerateArray()
            .SelectMany(p => p.GetProperty("packets").EnumerateArray())
            .Select(p => Convert.FromHexString(p.GetProperty("datagram").GetString()!.Replace("...", ""))).ToArray();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(AnyLoopbackPort);
        var to = target.LocalEndPoint!.Serialize();
        var random = new Random(1234);
        var buffer = new byte[1600];
        long sent = 0, faultsSent = 0;
        var clock = Stopwatch.StartNew();
        while (sent < Total)
        {
            for (var k = 0; k < 1000; k++)
            {
                var n = Build(random, buffer, pool, captures);
                if (n == 3 && buffer[0] == 0xee) faultsSent++;
                sender.SendTo(buffer.AsSpan(0, n), SocketFlags.None, to);
                sent++;
            }
            // Keep the kernel queue short so every datagram reaches the loop instead of being dropped by the kernel.
            var wait = Stopwatch.StartNew();
            while (target.DatagramsReceived < sent - 500)
            {
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(30), $"the receive loop stopped at {target.DatagramsReceived} of {sent}");
                Thread.Sleep(1);
            }
            Refill();
        }
        await Loopback(() => target.DatagramsReceived >= Total, "the last datagrams");

        // The loop is alive and still routes: a plain datagram reaches the handler, a stream still works.
        var before = Interlocked.Read(ref plain);
        sender.SendTo("\x03ok"u8, SocketFlags.None, to);
        await Loopback(() => Interlocked.Read(ref plain) > before, "a datagram after the fuzz");
        Assert.Equal(faultsSent, target.HandlerFaults);
        Assert.True(target.DatagramsReceived >= Total);
        Assert.True(target.ToUnknownStream > 0 && target.StreamPackets > Total / 5, $"{target.StreamPackets} stream packets");
        Assert.True(replaced > PoolSize, "no stream was ever closed by forged packets?");

        // Memory: what the streams may hold is bounded by their windows; nothing else accumulates.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var grown = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
        Assert.True(grown < PoolSize * (2L * window + 256 * 1024), $"managed memory grew by {grown >> 20} MiB");

        var peer = udx.CreateStream();
        using var other = new UdxInstance();
        var os = other.Bind(AnyLoopbackPort);
        var echo = other.CreateStream();
        echo.Connect(os, peer.LocalId, target.LocalEndPoint!);
        peer.Connect(target, echo.LocalId, os.LocalEndPoint!);
        await echo.Output.WriteAsync("still working"u8.ToArray());
        var r = await Bounded(peer.Input.ReadAsync().AsTask(), "data after the fuzz");
        Assert.Equal("still working"u8.ToArray(), System.Buffers.BuffersExtensions.ToArray(r.Buffer));
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"fuzzing took {clock.Elapsed}");
    }

    private static int Build(Random r, byte[] b, UdxStream[] pool, byte[][] captures)
    {
        var kind = r.Next(100);
        if (kind < 8)
        {
            var n = r.Next(0, 1500);
            r.NextBytes(b.AsSpan(0, n));
            return n;
        }
        if (kind < 14)
        {
            // A truncated UDX header.
            var n = r.Next(2, 20);
            r.NextBytes(b.AsSpan(0, n));
            b[0] = 0xff;
            b[1] = 0x01;
            return n;
        }
        if (kind < 22)
        {
            // A captured udx-native packet with a few bytes flipped (the id kept or not).
            var c = captures[r.Next(captures.Length)];
            c.CopyTo(b, 0);
            for (var i = r.Next(1, 4); i > 0; i--) b[r.Next(c.Length)] ^= (byte)r.Next(1, 256);
            if (r.Next(2) == 0) WriteId(b, pool[r.Next(pool.Length)].LocalId);
            return c.Length;
        }
        if (kind < 24)
        {
            b[0] = 0xee; b[1] = 0; b[2] = 0; // the handler throws for these
            return 3;
        }
        if (kind < 30)
        {
            // Well formed, for a stream nobody has.
            WriteHeader(r, b, (uint)r.NextInt64(1L << 32), Types[r.Next(Types.Length)]);
            return 20 + r.Next(0, 64);
        }

        // Forged packets for live streams: plausible or wild sequence numbers, acks, windows, offsets,
        // SACK blocks, payloads; sometimes a random type byte (DESTROY included).
        var stream = pool[r.Next(pool.Length)];
        var type = r.Next(10) < 8 ? Types[r.Next(Types.Length)] : (UdxPacketType)r.Next(256);
        WriteHeader(r, b, stream.LocalId, type);
        var body = r.Next(0, 1400);
        if (type.HasFlag(UdxPacketType.Sack))
        {
            var blocks = Math.Min(body / 8, r.Next(0, 120));
            for (var i = 0; i < blocks; i++)
            {
                var start = r.Next(3) == 0 ? (uint)r.NextInt64(1L << 32) : (uint)r.Next(0, 200);
                UdxPacket.WriteSackBlock(b.AsSpan(20), i, start, start + (uint)r.Next(-2, 60));
            }
            return 20 + blocks * 8;
        }
        r.NextBytes(b.AsSpan(20, body));
        return 20 + body;
    }

    private static void WriteHeader(Random r, byte[] b, uint id, UdxPacketType type)
    {
        uint Seq() => r.Next(4) switch
        {
            0 => (uint)r.NextInt64(1L << 32),
            1 => (uint)r.Next(0, 8),
            _ => (uint)r.Next(0, 3000),
        };
        var offset = r.Next(6) == 0 ? (byte)r.Next(256) : (byte)0;
        var windowField = r.Next(3) switch { 0 => 0u, 1 => (uint)r.NextInt64(1L << 32), _ => 4u << 20 };
        UdxPacket.WriteHeader(b, new UdxHeader(type, offset, id, windowField, Seq(), Seq()));
    }

    private static void WriteId(byte[] b, uint id) => System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), id);

    private static Task Loopback(Func<bool> condition, string what) => Js.Loopback.Eventually(condition, what, Limit);
}
