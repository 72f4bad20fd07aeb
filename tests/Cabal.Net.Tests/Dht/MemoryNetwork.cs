using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Cabal.Net.Dht;

namespace Cabal.Net.Tests.Dht;

/// <summary>
/// An in-memory datagram network for pure DHT tests: sockets bind to any address (nothing touches a
/// real interface), every datagram sent is recorded, and delivery to a bound socket happens on one
/// background loop (never inline, so a node never re-enters itself under its lock). Drop rules let
/// tests lose datagrams on purpose.
/// </summary>
public sealed class MemoryNetwork : IDatagramSocketFactory, IAsyncDisposable
{
    private readonly ConcurrentDictionary<IPEndPoint, MemorySocket> _bound = new();
    private readonly Channel<(MemorySocket To, byte[] Data, IPEndPoint From)> _queue = Channel.CreateUnbounded<(MemorySocket, byte[], IPEndPoint)>();
    private readonly ConcurrentQueue<SentDatagram> _sent = new();
    private readonly Task _delivery;
    private int _nextPort = 20000;

    public MemoryNetwork(bool deliver = true)
    {
        Deliver = deliver;
        _delivery = Task.Run(DeliverLoopAsync);
    }

    public bool Deliver { get; set; }

    /// <summary>Keep a copy of every datagram sent (off for floods).</summary>
    public bool RecordSent { get; set; } = true;

    /// <summary>Exceptions a socket's handler let escape (a node must never let one through).</summary>
    public long DeliveryFaults => Interlocked.Read(ref _faults);

    /// <summary>Datagrams handed to sockets so far.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    private long _faults;
    private long _delivered;

    /// <summary>Returns true to drop a datagram (from, to, bytes).</summary>
    public Func<IPEndPoint, IPEndPoint, byte[], bool>? Drop { get; set; }

    public IReadOnlyCollection<SentDatagram> Sent => _sent;

    public IDatagramSocket Bind(IPEndPoint endPoint)
    {
        var port = endPoint.Port == 0 ? Interlocked.Increment(ref _nextPort) : endPoint.Port;
        var local = new IPEndPoint(endPoint.Address, port);
        var socket = new MemorySocket(this, local);
        if (!_bound.TryAdd(local, socket)) throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressAlreadyInUse);
        return socket;
    }

    internal void Send(MemorySocket from, byte[] data, IPEndPoint to)
    {
        if (RecordSent) _sent.Enqueue(new SentDatagram(from.LocalEndPoint, to, data));
        if (!Deliver || Drop?.Invoke(from.LocalEndPoint, to, data) == true) return;
        if (_bound.TryGetValue(to, out var target)) _queue.Writer.TryWrite((target, data, from.LocalEndPoint));
    }

    internal void Unbind(MemorySocket socket) => _bound.TryRemove(socket.LocalEndPoint, out _);

    /// <summary>Delivers a datagram to a bound socket as if <paramref name="from"/> had sent it.</summary>
    public void Inject(IPEndPoint to, byte[] data, IPEndPoint from)
    {
        if (_bound.TryGetValue(to, out var target)) _queue.Writer.TryWrite((target, data, from));
    }

    public void ClearSent() => _sent.Clear();

    private async Task DeliverLoopAsync()
    {
        await foreach (var (to, data, from) in _queue.Reader.ReadAllAsync())
        {
            try { to.OnDatagram?.Invoke(data, from); }
            catch (Exception) { Interlocked.Increment(ref _faults); }
            Interlocked.Increment(ref _delivered);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _delivery;
    }
}

public sealed record SentDatagram(IPEndPoint From, IPEndPoint To, byte[] Data);

public sealed class MemorySocket(MemoryNetwork network, IPEndPoint local) : IDatagramSocket
{
    private bool _closed;

    public IPEndPoint LocalEndPoint { get; } = local;

    public Action<ReadOnlyMemory<byte>, IPEndPoint>? OnDatagram { get; set; }

    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint to, int ttl = 0)
    {
        if (_closed) return false;
        network.Send(this, datagram.ToArray(), to);
        return true;
    }

    public void Dispose()
    {
        _closed = true;
        network.Unbind(this);
    }
}
