using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Tests;
using Cabal.Net.Transport;
using Cabal.Tests;
using static Cabal.Interop.Tests.Net.Transport.TransportTestKit;

namespace Cabal.Interop.Tests.Net.Transport;

// Managers on 127.0.0.1 only, with millisecond delays. Every wait is bounded; every manager is disposed.
public sealed class ConnectionManagerTests
{
    [Fact]
    public async Task ConnectsToAManualPeerAndHandsTheConnectionToTheApplication()
    {
        var handed = new ConcurrentQueue<PeerConnection>();
        await using var a = new ConnectionManager(FastOptions(), handed.Enqueue);
        await using var b = new ConnectionManager(FastOptions() with { ListenEndPoint = null }, handed.Enqueue);
        var established = new ConcurrentQueue<PeerConnection>();
        a.ConnectionEstablished += established.Enqueue;
        b.ConnectionEstablished += established.Enqueue;
        a.Start();
        b.Start();
        Assert.NotEqual(0, a.ListenPort);
        Assert.Equal(0, b.ListenPort);

        Assert.True(b.AddPeer(Loopback(a.ListenPort)));
        Assert.False(b.AddPeer(Loopback(a.ListenPort)));
        Assert.True(await EventuallyAsync(() => a.ConnectionCount == 1 && b.ConnectionCount == 1));

        var outbound = Assert.Single(b.Connections);
        var inbound = Assert.Single(a.Connections);
        Assert.True(outbound.IsInitiator);
        Assert.False(inbound.IsInitiator);
        Assert.Equal(Loopback(a.ListenPort), outbound.Address);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, a.ListenPort), outbound.RemoteEndPoint);
        Assert.Equal(a.LocalStaticKey, outbound.RemoteStaticKey?.ToArray());
        Assert.Equal(b.LocalStaticKey, inbound.RemoteStaticKey?.ToArray());
        Assert.True(a.IsConnectedTo(b.LocalStaticKey));
        Assert.Equal(2, handed.Count);
        Assert.Equal(2, established.Count);
        Assert.Equal(1, b.GetAttemptCount(Loopback(a.ListenPort)));
    }

    [Fact]
    public async Task SimultaneousDialsLeaveExactlyOneConnection()
    {
        for (var round = 0; round < 5; round++)
        {
            var (small, large) = TestKit.OrderedKeys();
            var log = new TestLogger();
            await using var a = new ConnectionManager(FastOptions(log, small), _ => { });
            await using var b = new ConnectionManager(FastOptions(log, large), _ => { });
            int closed = 0, established = 0;
            a.ConnectionClosed += _ => Interlocked.Increment(ref closed);
            b.ConnectionClosed += _ => Interlocked.Increment(ref closed);
            var announced = new ConcurrentDictionary<PeerConnection, byte>();
            void OnEstablished(PeerConnection pc)
            {
                announced.TryAdd(pc, 0);
                Interlocked.Increment(ref established);
            }
            a.ConnectionEstablished += OnEstablished;
            b.ConnectionEstablished += OnEstablished;
            a.Start();
            b.Start();
            a.AddPeer(Loopback(b.ListenPort));
            b.AddPeer(Loopback(a.ListenPort));

            // Settled: both ends hold the connection the smaller key initiated, as each computed
            // independently, its "established" events have been raised, and a replaced duplicate has
            // finished closing (its event comes after it ends). Without the initiator check, the moment
            // when both ends briefly held the larger key's connection passed for settled; without the
            // event check, the moment between a replacement and its events did.
            bool Settled() => a.Connections is [var x] && b.Connections is [var y] && x.IsInitiator && !y.IsInitiator
                && x.Connection.HandshakeHash!.Value.Span.SequenceEqual(y.Connection.HandshakeHash!.Value.Span)
                && announced.ContainsKey(x) && announced.ContainsKey(y)
                && Volatile.Read(ref established) - Volatile.Read(ref closed) == 2;
            Assert.True(await EventuallyAsync(Settled), log.ToString());
            var kept = a.Connections[0];

            // No flapping: the same connection is still the only one a while later.
            var closedAfterSettling = Volatile.Read(ref closed);
            await Task.Delay(300);
            Assert.True(Settled(), log.ToString());
            Assert.Same(kept, a.Connections[0]);
            Assert.False(kept.Connection.IsEnded);
            Assert.Equal(closedAfterSettling, Volatile.Read(ref closed));
        }
    }

    [Fact]
    public async Task RetriesWithGrowingDelaysThenConnectsWhenAListenerAppears()
    {
        var port = FreePort();
        var address = Loopback(port);
        var failures = new ConcurrentQueue<(DialFailure Failure, long At)>();
        var time = new ManualTimeProvider();
        var options = FastOptions() with { ListenEndPoint = null, MaxAttempts = 4, UseJitter = false, RetryCooldown = Timeout.InfiniteTimeSpan, TimeProvider = time };
        await using var dialer = new ConnectionManager(options, _ => { });
        dialer.DialFailed += f => failures.Enqueue((f, time.GetTimestamp()));
        dialer.Start();
        dialer.AddPeer(address);

        // The clock moves only here: each retry waits exactly its delay, and not a tick less.
        for (var attempt = 1; attempt < 4; attempt++)
        {
            Assert.True(await EventuallyAsync(() => failures.Count == attempt));
            var delay = failures.Last().Failure.NextDelay!.Value;
            Assert.True(await EventuallyAsync(() => time.UntilNextTimer == delay), $"retry {attempt} is not scheduled {delay} ahead");
            time.Advance(delay - TimeSpan.FromTicks(1));
            Assert.Equal(attempt, dialer.GetAttemptCount(address));
            time.Advance(TimeSpan.FromTicks(1));
        }
        Assert.True(await EventuallyAsync(() => failures.Any(f => f.Failure.NextDelay is null)));
        Assert.Equal(4, dialer.GetAttemptCount(address));
        var list = failures.ToArray();
        Assert.Equal([1, 2, 3, 4], list.Select(f => f.Failure.Attempt));
        Assert.Equal(new TimeSpan?[] { TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(80), null }, list.Select(f => f.Failure.NextDelay));
        for (var i = 1; i < list.Length; i++)
            Assert.True(list[i].At - list[i - 1].At >= list[i - 1].Failure.NextDelay!.Value.Ticks, $"gap {i}: {TimeSpan.FromTicks(list[i].At - list[i - 1].At)}");
        Assert.All(list, f => Assert.IsType<SocketException>(f.Failure.Error));
        Assert.True(await EventuallyAsync(() => dialer.Peers.Count == 0));

        // Bounded: nothing more is scheduled, and a day later nothing more has happened.
        Assert.True(await EventuallyAsync(() => time.UntilNextTimer is null));
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(4, dialer.GetAttemptCount(address));

        await using var listener = new ConnectionManager(FastOptions() with { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, port) }, _ => { });
        listener.Start();
        dialer.AddPeer(address);
        Assert.True(await EventuallyAsync(() => dialer.ConnectionCount == 1 && listener.ConnectionCount == 1));
        Assert.Equal(5, dialer.GetAttemptCount(address));
    }

    [Fact]
    public async Task JitteredDelaysStayWithinTheBounds()
    {
        var address = Loopback(FreePort());
        var failures = new ConcurrentQueue<DialFailure>();
        var options = FastOptions() with { ListenEndPoint = null, MaxAttempts = 6, MaxDelay = TimeSpan.FromMilliseconds(60), RetryCooldown = Timeout.InfiniteTimeSpan };
        await using var dialer = new ConnectionManager(options, _ => { });
        dialer.DialFailed += failures.Enqueue;
        dialer.Start();
        dialer.AddPeer(address, persistent: false);
        Assert.True(await EventuallyAsync(() => failures.Any(f => f.NextDelay is null)));
        Assert.Equal(6, dialer.GetAttemptCount(address));
        Assert.All(failures.Where(f => f.NextDelay is not null), f => Assert.InRange(f.NextDelay!.Value, TimeSpan.Zero, TimeSpan.FromMilliseconds(60)));
    }

    [Fact]
    public async Task APersistentPeerIsRetriedAfterTheCooldown()
    {
        var port = FreePort();
        var address = Loopback(port);
        var rounds = 0;
        var options = FastOptions() with { ListenEndPoint = null, MaxAttempts = 2, RetryCooldown = TimeSpan.FromMilliseconds(100) };
        await using var dialer = new ConnectionManager(options, _ => { });
        dialer.DialFailed += f => { if (f.NextDelay is null) Interlocked.Increment(ref rounds); };
        dialer.Start();
        dialer.AddPeer(address);
        Assert.True(await EventuallyAsync(() => Volatile.Read(ref rounds) >= 1));

        await using var listener = new ConnectionManager(FastOptions() with { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, port) }, _ => { });
        listener.Start();
        Assert.True(await EventuallyAsync(() => dialer.ConnectionCount == 1));
        Assert.Contains(address, dialer.Peers);
    }

    [Fact]
    public async Task InboundConnectionsBeyondTheCapAreRefused()
    {
        var log = new TestLogger();
        await using var hub = new ConnectionManager(FastOptions(log) with { MaxConnections = 2 }, _ => { });
        var live = 0;
        var maxLive = 0;
        hub.ConnectionEstablished += _ =>
        {
            var n = Interlocked.Increment(ref live);
            int seen;
            while ((seen = Volatile.Read(ref maxLive)) < n && Interlocked.CompareExchange(ref maxLive, n, seen) != seen) { }
        };
        hub.ConnectionClosed += _ => Interlocked.Decrement(ref live);
        hub.Start();

        var clients = Enumerable.Range(0, 3)
            .Select(_ => new ConnectionManager(FastOptions() with { ListenEndPoint = null, MaxAttempts = 2, RetryCooldown = Timeout.InfiniteTimeSpan }, _ => { }))
            .ToArray();
        try
        {
            foreach (var c in clients)
            {
                c.Start();
                c.AddPeer(Loopback(hub.ListenPort));
            }
            Assert.True(await EventuallyAsync(() => hub.ConnectionCount == 2));
            Assert.True(await EventuallyAsync(() => clients.Count(c => c.Peers.Count == 0) == 1), "the refused client gives up");
            await Task.Delay(200);
            Assert.Equal(2, hub.ConnectionCount);
            Assert.Equal(2, clients.Sum(c => c.ConnectionCount));
            Assert.True(Volatile.Read(ref maxLive) <= 2);
            Assert.Contains(log.Entries, e => e.Id.Id == 4008);
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task DialsWaitForAFreeSlot()
    {
        await using var p1 = new ConnectionManager(FastOptions(), _ => { });
        await using var p2 = new ConnectionManager(FastOptions(), _ => { });
        p1.Start();
        p2.Start();
        await using var dialer = new ConnectionManager(FastOptions() with { ListenEndPoint = null, MaxConnections = 1 }, _ => { });
        dialer.Start();
        dialer.AddPeer(Loopback(p1.ListenPort));
        Assert.True(await EventuallyAsync(() => dialer.ConnectionCount == 1));
        dialer.AddPeer(Loopback(p2.ListenPort));
        // The second dial has reached the slot and waits there: no sleeping to give it a chance to misbehave.
        Assert.True(await EventuallyAsync(() => dialer.DialsWaitingForSlot == 1));
        Assert.Equal(1, dialer.ConnectionCount);
        Assert.Equal(0, dialer.GetAttemptCount(Loopback(p2.ListenPort)));

        // Freeing the slot lets the waiting dial go ahead.
        await p1.DisposeAsync();
        Assert.True(await EventuallyAsync(() => p2.ConnectionCount == 1));
        Assert.Equal(1, dialer.GetAttemptCount(Loopback(p2.ListenPort)));
    }

    [Fact]
    public async Task DiallingOurselvesStops()
    {
        await using var m = new ConnectionManager(FastOptions(), _ => { });
        m.Start();
        m.AddPeer(Loopback(m.ListenPort));
        Assert.True(await EventuallyAsync(() => m.Peers.Count == 0));
        Assert.Equal(0, m.ConnectionCount);
        Assert.Equal(1, m.GetAttemptCount(Loopback(m.ListenPort)));
    }

    [Fact]
    public async Task ReconnectsAfterThePeerRestarts()
    {
        var key = Cabal.Net.Crypto.NoiseKeyPair.Generate();
        var server = new ConnectionManager(FastOptions(key: key), _ => { });
        server.Start();
        var port = server.ListenPort;
        await using var client = new ConnectionManager(FastOptions() with { ListenEndPoint = null, MaxAttempts = 20 }, _ => { });
        var closed = new ConcurrentQueue<PeerConnection>();
        client.ConnectionClosed += closed.Enqueue;
        client.Start();
        client.AddPeer(Loopback(port));
        Assert.True(await EventuallyAsync(() => client.ConnectionCount == 1));

        await server.DisposeAsync();
        Assert.True(await EventuallyAsync(() => closed.Count == 1));
        Assert.Equal(PeerCloseReason.Ended, closed.Single().CloseReason);

        await using var again = new ConnectionManager(FastOptions(key: key) with { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, port) }, _ => { });
        again.Start();
        Assert.True(await EventuallyAsync(() => client.ConnectionCount == 1 && again.ConnectionCount == 1));
    }

    [Fact]
    public async Task ShutdownClosesEverythingWithinTheBound()
    {
        var time = new ManualTimeProvider(); // a's retries of the dead address wait on it
        var a = new ConnectionManager(FastOptions() with { TimeProvider = time }, _ => { });
        await using var b = new ConnectionManager(FastOptions(), _ => { });
        var bClosed = new ConcurrentQueue<PeerConnection>();
        var aClosed = new ConcurrentQueue<PeerConnection>();
        b.ConnectionClosed += bClosed.Enqueue;
        a.ConnectionClosed += aClosed.Enqueue;
        a.Start();
        b.Start();
        var dead = Loopback(FreePort());
        a.AddPeer(Loopback(b.ListenPort));
        a.AddPeer(dead); // retrying in the background while we shut down
        Assert.True(await EventuallyAsync(() => a.ConnectionCount == 1 && b.ConnectionCount == 1));
        var connection = a.Connections[0];
        var port = a.ListenPort;

        var clock = Stopwatch.StartNew();
        await a.DisposeAsync().AsTask().Within();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"shutdown took {clock.Elapsed}");
        Assert.True(connection.Connection.Completion.IsCompleted);
        Assert.Equal(PeerCloseReason.Shutdown, Assert.Single(aClosed).CloseReason);
        Assert.Equal(0, a.ConnectionCount);
        Assert.True(await EventuallyAsync(() => bClosed.Count == 1 && b.ConnectionCount == 0));
        await a.DisposeAsync(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => a.AddPeer(dead));

        // Nothing keeps dialling (no timer is left, and a day later the count is the same) and the port is free again.
        var attempts = a.GetAttemptCount(dead);
        Assert.True(await EventuallyAsync(() => time.UntilNextTimer is null), $"a timer is left {time.UntilNextTimer} ahead");
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(attempts, a.GetAttemptCount(dead));
        using var rebind = new TcpListener(IPAddress.Loopback, port);
        rebind.Start();
    }

    [Fact]
    public async Task ShutdownDoesNotWaitForLongBackoffs()
    {
        var m = new ConnectionManager(FastOptions() with { ListenEndPoint = null, BaseDelay = TimeSpan.FromSeconds(30), MaxDelay = TimeSpan.FromSeconds(30) }, _ => { });
        var failed = 0;
        m.DialFailed += _ => Interlocked.Increment(ref failed);
        m.Start();
        m.AddPeer(Loopback(FreePort()));
        Assert.True(await EventuallyAsync(() => Volatile.Read(ref failed) == 1));
        var clock = Stopwatch.StartNew();
        await m.DisposeAsync().AsTask().Within();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"shutdown took {clock.Elapsed}");
    }

    [Fact]
    public async Task AThrowingApplicationCallbackDoesNotBreakTheManager()
    {
        var log = new TestLogger();
        await using var a = new ConnectionManager(FastOptions(log), _ => throw new InvalidOperationException("app bug"));
        await using var b = new ConnectionManager(FastOptions(), _ => { });
        a.ConnectionEstablished += _ => throw new InvalidOperationException("handler bug");
        a.Start();
        b.Start();
        b.AddPeer(Loopback(a.ListenPort));
        Assert.True(await EventuallyAsync(() => a.ConnectionCount == 1 && b.ConnectionCount == 1));
        Assert.Contains(log.Entries, e => e.Id.Id == 4012);
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new ConnectionManager(new ConnectionManagerOptions { MaxAttempts = 0 }, _ => { }));
        Assert.Throws<ArgumentException>(() => new ConnectionManager(new ConnectionManagerOptions { MaxConnections = 0 }, _ => { }));
        Assert.Throws<ArgumentException>(() => new ConnectionManager(new ConnectionManagerOptions { BaseDelay = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(1) }, _ => { }));
    }
}
