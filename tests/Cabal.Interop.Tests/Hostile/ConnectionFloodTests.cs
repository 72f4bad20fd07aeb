using System.Net;
using System.Net.Sockets;
using System.Text;
using Cabal.Multifeed.Sets;
using Cabal.Net;
using Cabal.Net.Crypto;
using Cabal.Net.Transport;
using Cabal.Tests;
using static Cabal.Interop.Tests.Hostile.HostileTestKit;

namespace Cabal.Interop.Tests.Hostile;

// Issue 20, defect 1: silent TCP connections from one host, reopened as the bot closes them, used
// to fill every connection slot, so no legitimate peer could connect. With admission control one
// address holds only its share of pending slots and a peer from another address gets in and syncs.
public sealed class ConnectionFloodTests : HostileTest
{
    private const int SilentConnections = 200;

    /// <summary>The bot listening alone (ConnectionManager) or, as the node does, on a shared listener.</summary>
    private (int Port, Cabal.Net.Admission.AdmissionControl Admission) StartBot(MultifeedSet bot, bool shared)
    {
        var key = NoiseKeyPair.Generate();
        var options = new ConnectionManagerOptions { StaticKeyPair = key, ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), ShutdownTimeout = TimeSpan.FromSeconds(5) };
        SharedPeerListener? listener = null;
        if (shared)
        {
            listener = SharedPeerListener.Start(new SharedPeerListenerOptions { StaticKeyPair = key, EndPoint = new IPEndPoint(IPAddress.Loopback, 0), ShutdownTimeout = TimeSpan.FromSeconds(5) });
            Cleanup.Track(listener);
            options = options with { ListenEndPoint = null, SharedListener = listener, RouteKey = CabalKey };
        }
        var manager = new ConnectionManager(options, pc => bot.Replicate(pc.Connection, startConnection: false));
        Cleanup.Track(manager);
        manager.Start();
        return listener is not null ? (listener.Port, listener.Admission!) : (manager.ListenPort, manager.Admission!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoHundredSilentConnectionsFromOneAddress_DoNotKeepAPeerFromAnotherAddressOut(bool sharedListener)
    {
        var bot = await OpenSetAsync(Dir, "bot", CabalKey, Cleanup);
        await bot.LocalFeed.AppendAsync(Encoding.UTF8.GetBytes("hello from the bot"));
        var (port, admission) = StartBot(bot, sharedListener);

        // The attacker: 200 connections that never send a byte, each reopened as soon as it is closed.
        var silent = new Socket?[SilentConnections];
        using var stopAttack = new CancellationTokenSource();
        var attack = Task.Run(async () =>
        {
            while (!stopAttack.IsCancellationRequested)
            {
                for (var i = 0; i < silent.Length && !stopAttack.IsCancellationRequested; i++)
                {
                    if (silent[i] is { } s && !IsClosedByServer(s)) continue;
                    silent[i]?.Dispose();
                    try { silent[i] = await ConnectFromAsync(Attacker, port); }
                    catch (SocketException) { silent[i] = null; }
                }
                try { await Task.Delay(20, stopAttack.Token); } catch (OperationCanceledException) { }
            }
        });
        try
        {
            Assert.True(await Poll.UntilAsync(() => admission.AdmittedCount + admission.RefusedCount >= SilentConnections, Patience), "the bot saw the flood");
            Assert.True(admission.PendingCount <= admission.Options.MaxPendingPerAddress);

            // The legitimate peer, from 127.0.0.2, dials once and must sync.
            var reader = await OpenSetAsync(Dir, "reader", CabalKey, Cleanup);
            var socket = await ConnectFromAsync(Legitimate, port);
            var connection = new ProtocolConnection(new NetworkStream(socket, ownsSocket: true), isInitiator: true);
            Cleanup.Track(connection);
            var session = reader.Replicate(connection);
            Assert.True(await session.Ready.WaitAsync(Patience), $"the peer's multifeed handshake completed (connection error: {connection.Error?.Message})");
            Assert.True(await Poll.UntilAsync(() => InSync(bot, reader), Patience), "the peer synced the bot's feed");
            Assert.True(admission.PendingCount <= admission.Options.MaxPendingPerAddress, "the flood still holds only its share");
            Assert.True(admission.RefusedCount >= SilentConnections - admission.Options.MaxPendingPerAddress);
        }
        finally
        {
            stopAttack.Cancel();
            await attack.WaitAsync(Patience);
            foreach (var s in silent) s?.Dispose();
        }
    }

    [Fact]
    public async Task SilentConnectionsAreClosedAtTheirPendingDeadline_WhichShrinksWithLoad()
    {
        var clock = new ManualTimeProvider();
        var admission = new Cabal.Net.Admission.AdmissionOptions
        {
            MaxPending = 4, MaxPendingPerAddress = 4, MaxPendingPerPrefix = 4,
            PendingTimeout = TimeSpan.FromSeconds(10), MinPendingTimeout = TimeSpan.FromSeconds(2),
        };
        var manager = new ConnectionManager(new ConnectionManagerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            HandshakeTimeout = TimeSpan.FromMinutes(5), // only admission's deadline is in play here
            TimeProvider = clock,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            Admission = admission,
        }, _ => { });
        Cleanup.Track(manager);
        manager.Start();
        var control = manager.Admission!;

        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 4; i++) silent.Add(await ConnectFromAsync(Attacker, manager.ListenPort));
            Assert.True(await Poll.UntilAsync(() => control.PendingCount == 4, Patience));
            Assert.Equal(TimeSpan.FromSeconds(2), control.PendingTimeout); // every slot taken: the shortest deadline

            clock.Advance(TimeSpan.FromSeconds(1.5));
            Assert.Equal(0, control.ExpiredCount);
            clock.Advance(TimeSpan.FromSeconds(1)); // past 2 s, and the sweep (every 0.5 s) has run
            Assert.True(await Poll.UntilAsync(() => silent.All(IsClosedByServer), Patience), "the bot closed the silent connections");
            Assert.True(await Poll.UntilAsync(() => control.PendingCount == 0, Patience));
            Assert.Equal(4, control.ExpiredCount);
            Assert.False(control.IsPenalized(Attacker, out _)); // slow is not abuse
        }
        finally
        {
            foreach (var s in silent) s.Dispose();
        }
    }
}
