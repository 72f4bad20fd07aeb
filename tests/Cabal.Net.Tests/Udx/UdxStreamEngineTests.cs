using System.Security.Cryptography;
using Cabal.Net.Udx;

namespace Cabal.Net.Tests.Udx;

/// <summary>The stream state machine on a simulated network with a manual clock: no sockets, no wall time.</summary>
public sealed class UdxStreamEngineTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static byte[] Bytes(int n, int seed = 1)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static UdxHeader HeaderOf(byte[] datagram)
    {
        Assert.True(UdxPacket.TryParse(datagram, out var p));
        return p.Header;
    }

    [Fact]
    public void TransfersBothWaysAndClosesCleanlyAfterBothEnds()
    {
        var link = new SimulatedLink();
        var toB = Bytes(300_000, 1);
        var toA = Bytes(50_000, 2);
        link.A.WriteAll(toB, end: true);
        link.B.WriteAll(toA, end: true);
        Assert.True(link.RunUntil(() => link.A.ClosedCalled && link.B.ClosedCalled, Minute));
        Assert.Equal(toB, link.B.Received.ToArray());
        Assert.Equal(toA, link.A.Received.ToArray());
        Assert.Null(link.A.Error);
        Assert.Null(link.B.Error);
        Assert.True(link.A.RemoteEnded && link.B.RemoteEnded);
        Assert.Equal(0, link.A.Engine.Retransmits);

        // Both linger (TIME_WAIT), then release their ids.
        Assert.False(link.A.Engine.IsReleased);
        link.RunFor(TimeSpan.FromSeconds(16));
        Assert.True(link.A.Engine.IsReleased && link.B.Engine.IsReleased);
    }

    [Fact]
    public void EmitsTheSamePacketsAsLibudx()
    {
        // Stream ids and packets of the dht-vectors.json capture (phases data, message, data-other-way,
        // sack, heartbeat, end).
        var link = new SimulatedLink(idA: 16909060, idB: 168496141);
        string Hex(byte[] b) => Convert.ToHexStringLower(b);

        link.A.WriteAll("hello"u8.ToArray(), end: false);
        Assert.Equal("ff0101000d0c0b0a00004000000000000000000068656c6c6f", Hex(link.A.Sent[^1]));
        link.RunFor(TimeSpan.FromMilliseconds(20));
        Assert.Equal("ff01000004030201000040000000000001000000", Hex(link.B.Sent[^1]));

        Assert.True(link.A.Engine.SendMessage("ping"u8));
        Assert.Equal("ff0108000d0c0b0a00004000010000000000000070696e67", Hex(link.A.Sent[^1]));
        link.RunFor(TimeSpan.FromMilliseconds(20));
        Assert.Equal("ping"u8.ToArray(), Assert.Single(link.B.Messages));

        link.B.WriteAll("world"u8.ToArray(), end: false);
        Assert.Equal("ff01010004030201000040000000000001000000776f726c64", Hex(link.B.Sent[^1]));
        link.RunFor(TimeSpan.FromMilliseconds(20));
        Assert.Equal("ff0100000d0c0b0a000040000100000001000000", Hex(link.A.Sent[^1]));

        // "one" (seq 1) is lost, "two" (seq 2) arrives: a SACK for [2, 3).
        link.Drop = (fromA, d) => fromA && HeaderOf(d).Seq == 1 && HeaderOf(d).Has(UdxPacketType.Data) && link.A.Engine.Retransmits == 0;
        link.A.WriteAll("one"u8.ToArray(), end: false);
        link.A.WriteAll("two"u8.ToArray(), end: false);
        link.RunFor(TimeSpan.FromMilliseconds(8));
        // libudx's window is always 4 MiB (udx-native installs no buffer callback); ours subtracts the 3 bytes held.
        Assert.Contains("ff01040004030201fdff3f0001000000010000000200000003000000", link.B.Sent.Select(Hex));
        Assert.True(link.RunUntil(() => link.B.Received.Length == 11, Minute));
        Assert.Equal("helloonetwo", System.Text.Encoding.ASCII.GetString(link.B.Received.ToArray()));
        Assert.Equal("ff01000004030201000040000100000003000000", Hex(link.B.Sent[^1]));

        link.A.Engine.Destroy();
        Assert.Equal("ff0110000d0c0b0a000040000300000001000000", Hex(link.A.Sent[^1]));
    }

    [Fact]
    public void ABareEndAndItsAckMatchTheCapture()
    {
        var link = new SimulatedLink(idA: 16909060, idB: 168496141);
        link.B.WriteAll([], end: true);
        // B's END: its seq 0, ack 0 (nothing received); A acknowledges with ack 1.
        Assert.Equal("ff01020004030201000040000000000000000000", Convert.ToHexStringLower(link.B.Sent[^1]));
        link.RunFor(TimeSpan.FromMilliseconds(20));
        Assert.Equal("ff0100000d0c0b0a000040000000000001000000", Convert.ToHexStringLower(link.A.Sent[^1]));
        Assert.True(link.A.RemoteEnded);
    }

    [Fact]
    public void ADestroyPacketOfANewStreamMatchesTheCapture()
    {
        var link = new SimulatedLink(idA: 33, idB: 34);
        link.A.Engine.Destroy();
        Assert.Equal("ff01100022000000000040000000000000000000", Convert.ToHexStringLower(link.A.Sent[^1]));
        link.RunFor(TimeSpan.FromMilliseconds(20));
        Assert.True(link.B.ClosedCalled);
        Assert.Equal(UdxError.ConnectionReset, link.B.Error?.Error);
        Assert.Null(link.A.Error);
        Assert.True(link.A.Engine.IsReleased); // no linger after a destroy
    }

    [Theory]
    [InlineData(0.05, 0.0, 0.0)]
    [InlineData(0.20, 0.0, 0.0)]
    [InlineData(0.10, 0.05, 0.10)]
    public void RecoversFromLossDuplicationAndReordering(double loss, double duplicate, double reorder)
    {
        var link = new SimulatedLink(seed: 7) { Loss = loss, Duplicate = duplicate, Reorder = reorder };
        var data = Bytes(400_000);
        link.A.WriteAll(data, end: true);
        link.B.WriteAll(Bytes(20_000, 3), end: true);
        Assert.True(link.RunUntil(() => link.A.ClosedCalled && link.B.ClosedCalled, TimeSpan.FromMinutes(10)),
            $"A: {link.A.Engine.Cwnd} cwnd, {link.A.Engine.InFlightPackets} in flight; B received {link.B.Received.Length}");
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(link.B.Received.ToArray()));
        Assert.Null(link.A.Error);
        Assert.Null(link.B.Error);
        Assert.True(link.A.Engine.Retransmits > 0);
    }

    [Fact]
    public void FastRecoveryRepairsASingleLossWithoutWaitingForTheRto()
    {
        var link = new SimulatedLink();
        var dropped = false;
        link.Drop = (fromA, d) => fromA && HeaderOf(d).Seq == 5 && !dropped && (dropped = true);
        link.A.WriteAll(Bytes(100_000), end: false);
        Assert.True(link.RunUntil(() => link.B.Received.Length == 100_000, Minute));
        Assert.True(link.Elapsed < TimeSpan.FromMilliseconds(500), $"took {link.Elapsed}");
        Assert.Equal(0, link.A.Engine.RtoCount);
        Assert.Equal(1, link.A.Engine.FastRecoveries);
    }

    [Fact]
    public void ALostTailIsRepairedByAProbeBeforeTheRto()
    {
        var link = new SimulatedLink(new UdxOptions { MaxMtu = 1200 });
        // Warm up so there is an RTT sample (9 packets, seq 0–8), then lose the last packet of a burst
        // (seq 9–15) the first time it is sent.
        link.A.WriteAll(Bytes(10_000), end: false);
        link.RunFor(TimeSpan.FromMilliseconds(100));
        var start = link.Elapsed;
        var dropped = false;
        link.Drop = (fromA, d) => fromA && HeaderOf(d).Has(UdxPacketType.Data) && HeaderOf(d).Seq == 15 && !dropped && (dropped = true);
        link.A.WriteAll(Bytes(8_000, 2), end: false);
        Assert.True(link.RunUntil(() => link.B.Received.Length == 18_000, Minute));
        Assert.True(dropped);
        Assert.True(link.A.Engine.TailLossProbes >= 1);
        Assert.Equal(0, link.A.Engine.RtoCount);
        Assert.True(link.Elapsed - start < TimeSpan.FromMilliseconds(200), $"took {link.Elapsed - start}");
    }

    [Fact]
    public void ADeadPeerTimesOutAfterSixRetransmissionTimeouts()
    {
        var link = new SimulatedLink();
        link.A.WriteAll(Bytes(5000), end: false);
        link.RunFor(TimeSpan.FromMilliseconds(50));
        link.Drop = (_, _) => true;
        var start = link.Elapsed;
        link.A.WriteAll(Bytes(100), end: false);
        Assert.True(link.RunUntil(() => link.A.ClosedCalled, Minute));
        Assert.Equal(UdxError.TimedOut, link.A.Error?.Error);
        var took = link.Elapsed - start;
        // libudx: RTO 1 s, then every 2 s; the 7th expiry closes (≈13 s at RTO 1 s).
        Assert.InRange(took, TimeSpan.FromSeconds(11), TimeSpan.FromSeconds(16));
        Assert.True(link.A.Engine.RtoCount >= 6);
    }

    [Fact]
    public void AHeartbeatIsAnsweredAtOnceAndItsAckFieldIgnored()
    {
        var link = new SimulatedLink();
        var before = link.B.Sent.Count;
        var hb = UdxPacket.Encode(new UdxHeader(UdxPacketType.Heartbeat, 0, 2, 1000, 0, 999), []);
        link.Inject(link.B, hb);
        Assert.Equal(before + 1, link.B.Sent.Count);
        var ack = HeaderOf(link.B.Sent[^1]);
        Assert.Equal(UdxPacketType.Ack, ack.Type);
        Assert.Equal(0, link.B.Engine.DroppedAcksForUnsent); // its ack (999) was never looked at
    }

    [Fact]
    public void AnAckForDataNeverSentIsDroppedAndCounted()
    {
        var link = new SimulatedLink();
        link.A.WriteAll(Bytes(3000), end: false);
        link.Inject(link.A, UdxPacket.Encode(new UdxHeader(UdxPacketType.Ack, 0, 1, 0, 0, 1000), []));
        Assert.Equal(1, link.A.Engine.DroppedAcksForUnsent);
        Assert.Equal(4u * 1024 * 1024, link.A.Engine.PeerWindow); // the window in it was not taken either
        Assert.True(link.RunUntil(() => link.B.Received.Length == 3000, Minute));
    }

    [Fact]
    public void InvalidSackBlocksAreCountedAndIgnored()
    {
        var link = new SimulatedLink();
        link.Drop = (_, _) => true; // keep everything in flight
        link.A.WriteAll(Bytes(5 * 1152), end: false);
        var body = new byte[4 * 8];
        UdxPacket.WriteSackBlock(body, 0, 2, 2);     // empty
        UdxPacket.WriteSackBlock(body, 1, 3, 100);   // past what was sent
        UdxPacket.WriteSackBlock(body, 2, 4, 3);     // reversed
        UdxPacket.WriteSackBlock(body, 3, 1, 3);     // valid
        link.Inject(link.A, UdxPacket.Encode(new UdxHeader(UdxPacketType.Sack, 0, 1, 1 << 22, 0, 0), body));
        Assert.Equal(3, link.A.Engine.DroppedInvalidSacks);
        Assert.Equal(3, link.A.Engine.InFlightPackets);
    }

    [Fact]
    public void ManySackBlocksCostNoMoreThanFifty()
    {
        var link = new SimulatedLink();
        link.Drop = (_, _) => true;
        link.A.WriteAll(Bytes(4 * 1152), end: false);
        var body = new byte[8 * 1000];
        for (var i = 0; i < 1000; i++) UdxPacket.WriteSackBlock(body, i, 1, 2);
        link.Inject(link.A, UdxPacket.Encode(new UdxHeader(UdxPacketType.Sack, 0, 1, 1 << 22, 0, 0), body));
        Assert.Equal(950, link.A.Engine.DroppedInvalidSacks);
    }

    [Fact]
    public void TheOutOfOrderBufferIsBoundedByTheReceiveWindow()
    {
        var options = new UdxOptions { ReceiveWindow = 64 * 1024, MaxMtu = 1200 };
        var link = new SimulatedLink(options);
        var payload = new byte[1152];
        // Seq 0 never arrives; a flood of later packets and ones far ahead.
        for (uint s = 1; s < 2000; s++)
            link.Inject(link.B, UdxPacket.Encode(new UdxHeader(UdxPacketType.Data, 0, 2, 1 << 22, s, 0), payload));
        link.Inject(link.B, UdxPacket.Encode(new UdxHeader(UdxPacketType.Data, 0, 2, 1 << 22, 3_000_000_000, 0), payload));
        Assert.InRange(link.B.Engine.OutOfOrderPackets * 1152L, 1, 64 * 1024 + 64 * 1024);
        Assert.True(link.B.Engine.DroppedOverWindow > 1800, $"{link.B.Engine.DroppedOverWindow} dropped");
        Assert.Equal(0u, link.B.Engine.ReceiveNext);
        Assert.Equal(0u, link.B.Engine.ReceiveWindow);
    }

    [Fact]
    public void BytesTheApplicationDoesNotReadCloseTheWindowAndProbesReopenIt()
    {
        var options = new UdxOptions { ReceiveWindow = 64 * 1024 };
        var link = new SimulatedLink(options);
        link.B.ReadsImmediately = false;
        var data = Bytes(300_000);
        link.A.WriteAll(data, end: false);
        link.RunFor(TimeSpan.FromSeconds(5));
        Assert.InRange(link.B.Received.Length, 32 * 1024, 64 * 1024 + 64 * 1024);
        Assert.Equal(0u, link.A.Engine.PeerWindow);
        var heartbeats = link.A.Sent.Count(d => HeaderOf(d).Has(UdxPacketType.Heartbeat));
        Assert.True(heartbeats >= 2, $"{heartbeats} zero-window probes");

        link.B.ReadsImmediately = true;
        link.B.ConsumeNow();
        Assert.True(link.RunUntil(() => link.B.Received.Length == data.Length, Minute));
        Assert.Equal(data, link.B.Received.ToArray());
    }

    [Fact]
    public void PacketsBeforeConnectAreDeliveredAndAcknowledgedOnConnect()
    {
        var link = new SimulatedLink(connect: false);
        link.A.Engine.Connect(link.RouteToB, 2);
        link.A.WriteAll("first"u8.ToArray(), end: false);
        link.RunFor(TimeSpan.FromMilliseconds(20));
        Assert.Equal("first"u8.ToArray(), link.B.Received.ToArray());
        Assert.Empty(link.B.Sent); // no route yet: the ACK waits

        link.B.Engine.Connect(link.RouteToA, 1);
        var ack = HeaderOf(Assert.Single(link.B.Sent));
        Assert.Equal(1u, ack.Ack);
        Assert.Equal(1u, ack.RemoteId);
    }

    [Fact]
    public void WritesStopAtTheSendBufferAndResumeWhenAcknowledged()
    {
        var link = new SimulatedLink(new UdxOptions { SendBufferSize = 64 * 1024, MaxMtu = 1200 });
        var n = link.A.Engine.Write(new byte[100_000]);
        Assert.Equal(64 * 1024 + 10 * 1152, n); // plus the initial send window (10 packets)
        Assert.Equal(0, link.A.Engine.Write(new byte[10]));
        link.A.Engine.Flush();
        link.RunFor(TimeSpan.FromMilliseconds(200));
        Assert.True(link.A.WritableAgainCount >= 1);
        Assert.Equal(0, link.A.Engine.BufferedBytes);
    }

    [Fact]
    public void MtuProbingGrowsTheMtuTo1500WithZeroPadding()
    {
        var link = new SimulatedLink();
        var data = Bytes(16_000_000);
        link.A.WriteAll(data, end: true);
        Assert.True(link.RunUntil(() => link.B.RemoteEnded, Minute));
        link.RunFor(TimeSpan.FromMilliseconds(50)); // the last acknowledgements reach A
        Assert.Equal(data, link.B.Received.ToArray());
        Assert.Equal(1500, link.A.Engine.Mtu);
        var probes = link.A.Sent.Where(d => HeaderOf(d).DataOffset > 0).ToList();
        Assert.NotEmpty(probes);
        Assert.All(probes, d => Assert.All(d.AsSpan(20, d[3]).ToArray(), b => Assert.Equal(0, b)));
        Assert.Equal(1472, link.A.Sent.Max(d => d.Length));
    }

    [Fact]
    public void LostProbesStopTheSearchAndTheDataStillArrives()
    {
        var link = new SimulatedLink();
        link.Drop = (fromA, d) => fromA && d.Length > 1200 - 28;
        var data = Bytes(500_000);
        link.A.WriteAll(data, end: true);
        Assert.True(link.RunUntil(() => link.B.RemoteEnded, Minute));
        Assert.Equal(data, link.B.Received.ToArray());
        Assert.Equal(1200, link.A.Engine.Mtu);
    }

    [Fact]
    public void MessagesAreDeliveredButNeverAcknowledgedOrRetransmitted()
    {
        var link = new SimulatedLink();
        link.Drop = (fromA, d) => fromA && HeaderOf(d).Has(UdxPacketType.Message) && d[^1] == 1;
        Assert.True(link.A.Engine.SendMessage([0]));
        Assert.True(link.A.Engine.SendMessage([1]));
        Assert.True(link.A.Engine.SendMessage([2]));
        link.RunFor(TimeSpan.FromSeconds(3));
        Assert.Equal([[0], [2]], link.B.Messages);
        Assert.Empty(link.B.Sent);
        Assert.Equal(0, link.A.Engine.Retransmits);
    }

    [Fact]
    public void ALostFinalAckIsAnsweredFromTimeWait()
    {
        var link = new SimulatedLink();
        link.A.WriteAll(Bytes(1000), end: true);
        link.RunFor(TimeSpan.FromMilliseconds(50));
        // B ends; A (both ended) acks B's END and closes. That ACK is lost once.
        var lost = false;
        link.Drop = (fromA, d) => fromA && HeaderOf(d).Type == UdxPacketType.Ack && !lost && (lost = true);
        link.B.WriteAll([], end: true);
        Assert.True(link.RunUntil(() => link.A.ClosedCalled && link.B.ClosedCalled, Minute));
        Assert.True(lost);
        Assert.Null(link.A.Error);
        Assert.Null(link.B.Error); // B's retransmitted END was re-acknowledged by A in TIME_WAIT
        Assert.False(link.B.Engine.EndAckGaveUp);
    }

    [Fact]
    public void WithoutTimeWaitOnThePeerTheEndIsGivenUpCleanly()
    {
        // libudx keeps no TIME_WAIT: model a peer that is gone once it closed.
        var link = new SimulatedLink(new UdxOptions { Linger = TimeSpan.Zero });
        link.A.WriteAll(Bytes(1000), end: true);
        link.RunFor(TimeSpan.FromMilliseconds(50));
        var lost = false;
        link.Drop = (fromA, d) => fromA && HeaderOf(d).Type == UdxPacketType.Ack && !lost && (lost = true);
        link.B.WriteAll([], end: true);
        Assert.True(link.RunUntil(() => link.B.ClosedCalled, Minute));
        Assert.Null(link.B.Error);
        Assert.True(link.B.Engine.EndAckGaveUp);
        Assert.True(link.Elapsed < TimeSpan.FromSeconds(8), $"took {link.Elapsed}");
    }

    [Fact]
    public void IdleTimeoutClosesAndKeepAliveKeepsAStreamOpen()
    {
        var idle = new SimulatedLink(new UdxOptions { IdleTimeout = TimeSpan.FromSeconds(5) });
        idle.RunFor(TimeSpan.FromSeconds(6));
        Assert.Equal(UdxError.IdleTimeout, idle.A.Error?.Error);

        var kept = new SimulatedLink(new UdxOptions { IdleTimeout = TimeSpan.FromSeconds(5), KeepAliveInterval = TimeSpan.FromSeconds(1) });
        kept.RunFor(TimeSpan.FromSeconds(30));
        Assert.False(kept.A.ClosedCalled);
        Assert.False(kept.B.ClosedCalled);
        Assert.True(kept.A.Sent.Count(d => HeaderOf(d).Has(UdxPacketType.Heartbeat)) >= 20);
    }

    [Fact]
    public void ChangeRemoteCompletesOnceTheOldPathIsDrained()
    {
        var link = new SimulatedLink();
        link.A.WriteAll(Bytes(50_000), end: false);
        // Same peer, a "new path" object: completion waits until what is in flight is acknowledged.
        Assert.False(link.A.Engine.ChangeRemote(new Cabal.Net.Udx.Engine.UdxRoute(null, SimulatedLink.AddressB), 2));
        Assert.Equal(0, link.A.RemoteChangedCount);
        link.RunFor(TimeSpan.FromMilliseconds(300));
        Assert.Equal(1, link.A.RemoteChangedCount);
        Assert.Equal(1200, link.A.Engine.Mtu > 0 ? 1200 : 0);
        Assert.True(link.A.Engine.ChangeRemote(link.RouteToB, 2)); // nothing in flight: at once
        Assert.Equal(50_000, link.B.Received.Length);
    }

    [Fact]
    public void MalformedPacketsAreDroppedAndCounted()
    {
        var link = new SimulatedLink();
        link.Inject(link.B, [0xff, 0x01, 0x01]);
        var bad = UdxPacket.Encode(new UdxHeader(UdxPacketType.Data, 0, 2, 0, 0, 0), "xy"u8);
        bad[3] = 200; // data offset past the end
        link.Inject(link.B, bad);
        Assert.Equal(2, link.B.Engine.DroppedMalformed);
        Assert.Equal(0u, link.B.Engine.ReceiveNext);
    }

    [Fact]
    public void NothingAfterTheEndIsDelivered()
    {
        var link = new SimulatedLink();
        // A forged stream: END at seq 1, then more data at seq 2 (arriving first, out of order).
        link.Inject(link.B, UdxPacket.Encode(new UdxHeader(UdxPacketType.Data, 0, 2, 1 << 22, 2, 0), "after"u8));
        link.Inject(link.B, UdxPacket.Encode(new UdxHeader(UdxPacketType.End, 0, 2, 1 << 22, 1, 0), []));
        link.Inject(link.B, UdxPacket.Encode(new UdxHeader(UdxPacketType.Data, 0, 2, 1 << 22, 0, 0), "before"u8));
        Assert.Equal("before"u8.ToArray(), link.B.Received.ToArray());
        Assert.True(link.B.RemoteEnded);
        link.Inject(link.B, UdxPacket.Encode(new UdxHeader(UdxPacketType.Data, 0, 2, 1 << 22, 3, 0), "late"u8));
        Assert.Equal("before"u8.ToArray(), link.B.Received.ToArray());
    }

    [Fact]
    public void DestroyAfterACleanCloseKeepsTheTimeWait()
    {
        var link = new SimulatedLink();
        link.A.WriteAll(Bytes(100), end: true);
        link.B.WriteAll([], end: true);
        Assert.True(link.RunUntil(() => link.A.ClosedCalled && link.B.ClosedCalled, Minute));
        link.A.Engine.Destroy();
        Assert.False(link.A.Engine.IsReleased);
        Assert.DoesNotContain(link.A.Sent, d => HeaderOf(d).Has(UdxPacketType.Destroy));
        link.A.Engine.Release();
        Assert.True(link.A.Engine.IsReleased);
    }
}
