using System.Net;
using Cabal.Net.Udx;
using Cabal.Net.Udx.Engine;
using Cabal.Tests;

namespace Cabal.Net.Tests.Udx;

/// <summary>One end of a simulated link: the engine's host, recording what the engine did.</summary>
internal sealed class SimEndpoint : IUdxStreamHost
{
    public SimEndpoint(uint id, UdxOptions options, SimulatedLink link)
    {
        Link = link;
        Engine = new UdxStreamEngine(id, this, options);
    }

    public SimulatedLink Link { get; }
    public UdxStreamEngine Engine { get; }
    public MemoryStream Received { get; } = new();
    public List<byte[]> Messages { get; } = [];
    public List<byte[]> Sent { get; } = [];
    public bool RemoteEnded { get; private set; }
    public bool ClosedCalled { get; private set; }
    public UdxException? Error { get; private set; }
    public int WritableAgainCount { get; private set; }
    public int RemoteChangedCount { get; private set; }

    /// <summary>The application reads everything at once (else delivered bytes stay buffered).</summary>
    public bool ReadsImmediately { get; set; } = true;

    /// <summary>Bytes written with <see cref="WriteAll"/> that the engine has not accepted yet.</summary>
    public ReadOnlyMemory<byte> Pending { get; private set; } = Array.Empty<byte>();
    public bool EndWhenWritten { get; set; }

    private long _unconsumed;

    void IUdxStreamHost.Send(UdxRoute route, ReadOnlySpan<byte> datagram)
    {
        var copy = datagram.ToArray();
        Sent.Add(copy);
        Link.Transmit(this, route, copy);
    }

    void IUdxStreamHost.Deliver(ReadOnlySpan<byte> data)
    {
        Received.Write(data);
        _unconsumed += data.Length;
    }

    void IUdxStreamHost.DeliverMessage(ReadOnlyMemory<byte> message) => Messages.Add(message.ToArray());
    void IUdxStreamHost.RemoteEnded() => RemoteEnded = true;
    void IUdxStreamHost.WritableAgain() => WritableAgainCount++;
    void IUdxStreamHost.RemoteChanged() => RemoteChangedCount++;

    void IUdxStreamHost.Closed(UdxException? error)
    {
        ClosedCalled = true;
        Error = error;
    }

    /// <summary>Queues bytes; they are fed into the engine as its send buffer allows (like the pump).</summary>
    public void WriteAll(byte[] data, bool end)
    {
        Pending = Pending.IsEmpty ? data : (byte[])[.. Pending.Span, .. data];
        EndWhenWritten = end;
        Pump();
    }

    public void Pump()
    {
        if (Engine.IsClosed) return;
        if (Pending.Length > 0)
        {
            var n = Engine.Write(Pending.Span);
            Pending = Pending[n..];
        }
        if (Pending.Length == 0 && EndWhenWritten)
        {
            EndWhenWritten = false;
            Engine.End();
        }
        Engine.Flush();
    }

    /// <summary>The application consumes what was delivered (if it reads).</summary>
    public void Consume()
    {
        if (!ReadsImmediately || _unconsumed == 0) return;
        var n = _unconsumed;
        _unconsumed = 0;
        if (Engine.OnApplicationConsumed(n)) Engine.SendWindowUpdate();
    }

    public void ConsumeNow()
    {
        var n = _unconsumed;
        _unconsumed = 0;
        if (Engine.OnApplicationConsumed(n)) Engine.SendWindowUpdate();
    }
}

/// <summary>
/// Two engines joined by a simulated network with a manual clock: fixed one-way delay, optional loss,
/// duplication, reordering and per-packet drop rules. Runs events (deliveries, timers) in time order.
/// </summary>
internal sealed class SimulatedLink
{
    public static readonly IPEndPoint AddressA = new(IPAddress.Loopback, 1001);
    public static readonly IPEndPoint AddressB = new(IPAddress.Loopback, 1002);

    private readonly PriorityQueue<(SimEndpoint To, byte[] Data), (long At, long Order)> _queue = new();
    private readonly Random _random;
    private long _order;

    public SimulatedLink(UdxOptions? options = null, uint idA = 1, uint idB = 2, int seed = 1, bool connect = true)
    {
        Clock = new ManualTimeProvider();
        _random = new Random(seed);
        var o = (options ?? new UdxOptions()) with { TimeProvider = Clock };
        A = new SimEndpoint(idA, o, this);
        B = new SimEndpoint(idB, o, this);
        RouteToB = new UdxRoute(null, AddressB);
        RouteToA = new UdxRoute(null, AddressA);
        if (connect)
        {
            B.Engine.Connect(RouteToA, idA);
            A.Engine.Connect(RouteToB, idB);
        }
    }

    public ManualTimeProvider Clock { get; }
    public SimEndpoint A { get; }
    public SimEndpoint B { get; }
    public UdxRoute RouteToB { get; }
    public UdxRoute RouteToA { get; }

    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(5);
    public double Loss { get; set; }
    public double Duplicate { get; set; }
    public double Reorder { get; set; }

    /// <summary>Drop rule: (from A?, datagram) → true to drop.</summary>
    public Func<bool, byte[], bool>? Drop { get; set; }

    /// <summary>Delivery rule overriding the route: where a datagram from an endpoint goes (null: by route).</summary>
    public long Dropped { get; private set; }

    public TimeSpan Elapsed => TimeSpan.FromTicks(Clock.GetTimestamp() - _start);

    private readonly long _start = 1_000_000;

    public void Transmit(SimEndpoint from, UdxRoute route, byte[] datagram)
    {
        var to = route.Remote.Equals(AddressB) ? B : route.Remote.Equals(AddressA) ? A : null;
        if (to is null) return;
        if ((Drop?.Invoke(from == A, datagram) ?? false) || _random.NextDouble() < Loss)
        {
            Dropped++;
            return;
        }
        var at = Clock.GetTimestamp() + Delay.Ticks;
        if (_random.NextDouble() < Reorder) at += Delay.Ticks / 2 + _random.Next((int)Math.Max(1, Delay.Ticks));
        _queue.Enqueue((to, datagram), (at, _order++));
        if (_random.NextDouble() < Duplicate) _queue.Enqueue((to, datagram), (at + 1, _order++));
    }

    /// <summary>Injects a datagram straight into an endpoint now (forged or replayed packets).</summary>
    public void Inject(SimEndpoint to, byte[] datagram)
    {
        to.Engine.OnPacket(datagram);
        to.Consume();
        to.Engine.Flush();
    }

    /// <summary>Runs events until <paramref name="done"/> holds or <paramref name="limit"/> of simulated time passes.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Clock.GetTimestamp() + limit.Ticks;
        var guard = 0;
        while (!done())
        {
            if (++guard > 50_000_000) throw new InvalidOperationException("The simulation does not settle.");
            var now = Clock.GetTimestamp();
            if (now > end) return false;
            if (Step(now)) continue;
            var next = NextEvent(now);
            if (next == long.MaxValue) return done();
            Clock.Advance(TimeSpan.FromTicks(Math.Max(1, next - now)));
        }
        return true;
    }

    /// <summary>Runs for a fixed stretch of simulated time.</summary>
    public void RunFor(TimeSpan span)
    {
        var end = Clock.GetTimestamp() + span.Ticks;
        RunUntil(() => Clock.GetTimestamp() >= end, span + TimeSpan.FromSeconds(1));
    }

    private bool Step(long now)
    {
        var progressed = false;
        if (_queue.TryPeek(out _, out var first) && first.At <= now)
        {
            var touched = new HashSet<SimEndpoint>();
            while (_queue.TryPeek(out _, out var key) && key.At <= now)
            {
                var (to, data) = _queue.Dequeue();
                to.Engine.OnPacket(data);
                touched.Add(to);
            }
            foreach (var t in touched)
            {
                t.Consume();
                t.Pump();
            }
            progressed = true;
        }
        foreach (var ep in new[] { A, B })
        {
            if (ep.Engine.NextDeadline <= ep.Engine.Now)
            {
                ep.Engine.OnTimer();
                ep.Pump();
                progressed = true;
            }
        }
        if (!progressed)
        {
            foreach (var ep in new[] { A, B })
                if (ep.Pending.Length > 0 && !ep.Engine.IsClosed && ep.Engine.BufferedBytes < 1024 * 1024) { ep.Pump(); }
        }
        return progressed;
    }

    private long NextEvent(long now)
    {
        var next = _queue.TryPeek(out _, out var head) ? head.At : long.MaxValue;
        foreach (var ep in new[] { A, B })
        {
            var d = ep.Engine.NextDeadline;
            if (d == UdxStreamEngine.Never) continue;
            var at = now + Math.Max(1, (d - ep.Engine.Now) * 10);
            next = Math.Min(next, at);
        }
        return next;
    }
}
