using System.Collections.Concurrent;
using System.Net;
using Cabal.Net;
using Cabal.Perf.Hostile;
using Cabal.Net.Admission;
using Cabal.Net.Crypto;
using Cabal.Net.Protocol;
using Cabal.Net.Transport;
using Cabal.Tests;
using static Cabal.Interop.Tests.Hostile.HostileTestKit;

namespace Cabal.Interop.Tests.Hostile;

// Issue 20, defect 2: after a Noise handshake, which needs no key, 64 connections that each declared
// an 8 MiB frame took the bot from 92 MB to 568 MB. Now a frame is capped by the connection's state
// (64 KiB until a channel is open both ways): each is closed as soon as its length is read, with a
// PeerAbuseException, and only what actually arrived was ever buffered.
public sealed class OversizedFrameTests : HostileTest
{
    private const int Attackers = 64;
    private const ulong Declared = 8UL * 1024 * 1024;

    [Fact]
    public async Task SixtyFourDeclaredEightMebibyteFrames_AreClosedBeforeTheBytesAreBuffered()
    {
        var bot = await OpenSetAsync(Dir, "bot", CabalKey, Cleanup);
        var accepted = new ConcurrentQueue<PeerConnection>();
        var manager = new ConnectionManager(new ConnectionManagerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            MaxConnections = Attackers + 8,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            // 64 attackers from 64 addresses of one /24: let them all in, to reach the frame cap.
            Admission = new AdmissionOptions { MaxPending = Attackers, MaxPendingPerPrefix = Attackers, MaxEstablishedPerPrefix = Attackers },
        }, pc =>
        {
            accepted.Enqueue(pc);
            bot.Replicate(pc.Connection, startConnection: false);
        });
        Cleanup.Track(manager);
        manager.Start();

        var clients = new List<RawNoiseClient>();
        try
        {
            for (var i = 0; i < Attackers; i++)
                clients.Add(await RawNoiseClient.ConnectAsync(IPAddress.Parse($"127.0.0.{10 + i}"), manager.ListenPort));
            // Each declares 8 MiB and sends its first 256 KiB (four times the cap) in pieces.
            var piece = new byte[16 * 1024];
            await Task.WhenAll(clients.Select(async c =>
            {
                if (!await c.TrySendAsync(RawNoiseClient.FrameStart(Declared))) return;
                for (var sent = 0; sent < 256 * 1024; sent += piece.Length)
                    if (!await c.TrySendAsync(piece)) return;
            }));
            foreach (var c in clients) Assert.True(await c.ClosedByServerAsync(), "the bot closed the attacker's connection");

            Assert.True(await Poll.UntilAsync(() => accepted.Count == Attackers && accepted.All(p => p.Connection.IsEnded), Patience));
            foreach (var peer in accepted)
            {
                var abuse = Assert.IsType<PeerAbuseException>(peer.Connection.Error);
                Assert.IsType<FrameTooLargeException>(abuse.InnerException);
                // Refused from the length: what was held never came near the declared 8 MiB, nor the 64 KiB cap.
                Assert.True(peer.Connection.MaxBufferedReceiveBytes < 64 * 1024, $"buffered {peer.Connection.MaxBufferedReceiveBytes} bytes");
            }
            var admission = manager.Admission!;
            Assert.True(await Poll.UntilAsync(() => admission.AbusiveCount == Attackers, Patience), "every attacker's address was penalized");
            Assert.True(admission.IsPenalized(IPAddress.Parse("127.0.0.10"), out _));
            Assert.Equal(AdmissionRefusal.Penalized, admission.TryAdmit(IPAddress.Parse("127.0.0.10")).Refusal);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }
}
