// UDX: reliable, congestion-controlled byte streams over UDP, wire-compatible with libudx (udx-native
// 1.21.3, the transport under HyperDHT). spec/hyperswarm.md §0 and §6; libudx src/udx.c.
//
// API (the contract with the DHT layer, docs: /work/brief/UDX-API.md):
//
//   Udx (one per node; IDisposable, IAsyncDisposable)
//     new Udx(UdxOptions? options)
//     UdxSocket CreateSocket()                    an unbound socket of this instance
//     UdxSocket Bind(IPEndPoint endPoint)         CreateSocket + Bind
//     UdxStream CreateStream()                    random id, unique across ALL sockets of this instance
//     UdxStream CreateStream(uint localId)        a chosen id (interop tests); throws if in use
//     int StreamCount; IReadOnlyCollection<UdxSocket> Sockets
//
//   UdxSocket (one bound IPv4 UDP socket)
//     Bind(IPEndPoint) (port 0 = free port), LocalEndPoint, Close()/Dispose()
//     TrySend(ReadOnlySpan<byte>, IPEndPoint to, int ttl = 0) / SendAsync(...): a plain datagram; ttl > 0
//       sets the IP TTL for that one send (holepunch probes: 1 byte 0x00, TTL 5)
//     OnDatagram: Action<ReadOnlyMemory<byte>, IPEndPoint>  every datagram that is not for a live stream
//       (memory valid during the call; runs on the receive loop; exceptions caught, counted, logged)
//     Demux per datagram: length >= 20, FF 01, u32le at offset 4 a live stream id of this Udx -> that stream
//       (its Firewall hook first if the stream is unconnected or connected on another socket); else OnDatagram
//     Counters: DatagramsReceived/Sent, StreamPackets, ToUnknownStream, Unhandled, HandlerFaults,
//       Firewalled, SendErrors, DroppedMalformed, InjectedFaults
//
//   UdxStream (IDuplexPipe: Input/Output; IDisposable, IAsyncDisposable)
//     LocalId, RemoteId, RemoteEndPoint, Socket, IsConnected
//     Connect(UdxSocket, uint remoteId, IPEndPoint remote)
//     Task ChangeRemote(UdxSocket, uint remoteId, IPEndPoint remote)   completes when the old path is drained
//     Firewall: Func<UdxSocket, IPEndPoint, bool>?  TRUE TO DROP (libudx semantics); null drops packets for
//       an unconnected stream (udx-native's default); it may call Connect from inside
//     Input completes at the peer's END (in order); faults with UdxException on reset/timeout/destroy.
//       Completing Output sends END after all data; completing it with an exception destroys the stream.
//     SendMessage(ReadOnlySpan<byte>) unreliable MESSAGE; MessageReceived: Action<ReadOnlyMemory<byte>>
//     Destroy() sends DESTROY; Task<Exception?> Closed (null when clean or destroyed locally)
//     Idle timeout and keep-alive from UdxOptions (both off by default, as libudx)
//     Stats: Rtt, Retransmits, PacketsSent/Received, BytesSent/Received, Mtu, RetransmissionTimeouts,
//       FastRecoveries, TailLossProbes, CongestionWindow, Dropped (malformed, over window, acks for unsent, bad SACK)
//
//   UdxOptions: init-only record (MTU 1200 base / 1500 max, receive window 4 MiB, send buffer 1 MiB,
//     keep-alive, idle timeout, linger, socket buffers, TimeProvider, ILoggerFactory) and
//     UdxFaultInjection (loss / duplicate / reorder probabilities, seed, per direction): a test hook.
//
// Layout: Udx.cs, UdxSocket.cs, UdxStream*.cs (shell), UdxPacket.cs (codec), Engine/ (the sans-IO protocol
// state machine: UdxStreamEngine, BBR, delivery-rate sampling, packet storage), Internal/ (socket receive
// loop, fault injector, counting pipe reader, log events 7100–7199).
using System.Collections.Concurrent;
using System.Net;

namespace Cabal.Net.Udx;

public sealed class Udx : IDisposable, IAsyncDisposable
{
    private readonly ConcurrentDictionary<uint, UdxStream> _streams = new();
    private readonly List<UdxSocket> _sockets = [];
    private readonly Lock _socketsGate = new();
    private long _droppedMalformed;
    private int _disposed;

    public Udx(UdxOptions? options = null)
    {
        Options = options ?? new UdxOptions();
        Options.Validate();
    }

    public UdxOptions Options { get; }

    /// <summary>Live streams (including ones lingering after a clean close).</summary>
    public int StreamCount => _streams.Count;

    public IReadOnlyCollection<UdxSocket> Sockets
    {
        get { lock (_socketsGate) return [.. _sockets]; }
    }

    internal long DroppedMalformed => Interlocked.Read(ref _droppedMalformed);

    internal void CountMalformed() => Interlocked.Increment(ref _droppedMalformed);

    /// <summary>A new, unbound socket of this instance.</summary>
    public UdxSocket CreateSocket()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var socket = new UdxSocket(this);
        lock (_socketsGate) _sockets.Add(socket);
        return socket;
    }

    /// <summary>A new socket bound to <paramref name="endPoint"/> (port 0: a free port).</summary>
    public UdxSocket Bind(IPEndPoint endPoint)
    {
        var socket = CreateSocket();
        try
        {
            socket.Bind(endPoint);
        }
        catch
        {
            socket.Close();
            throw;
        }
        return socket;
    }

    /// <summary>A new stream with a random id that no live stream of this instance has. Packets for it are matched at once.</summary>
    public UdxStream CreateStream()
    {
        while (true)
        {
            var id = (uint)Random.Shared.NextInt64(1, 1L << 32);
            if (TryCreate(id) is { } stream) return stream;
        }
    }

    /// <summary>A new stream with id <paramref name="localId"/>; throws if a live stream has it.</summary>
    public UdxStream CreateStream(uint localId)
        => TryCreate(localId) ?? throw new ArgumentException($"Stream id {localId} is in use.", nameof(localId));

    private UdxStream? TryCreate(uint id)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var stream = new UdxStream(this, id);
        if (_streams.TryAdd(id, stream)) return stream;
        stream.Shutdown();
        return null;
    }

    internal bool TryGetStream(uint id, out UdxStream stream) => _streams.TryGetValue(id, out stream!);

    internal void Unregister(UdxStream stream)
    {
        if (_streams.TryGetValue(stream.LocalId, out var current) && current == stream) _streams.TryRemove(stream.LocalId, out _);
    }

    internal void OnSocketClosed(UdxSocket socket)
    {
        foreach (var s in _streams.Values)
            if (s.IsBoundTo(socket)) s.OnSocketClosed();
        lock (_socketsGate) _sockets.Remove(socket);
    }

    /// <summary>Destroys every stream and closes every socket.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var s in _streams.Values) s.Shutdown();
        foreach (var socket in Sockets) socket.Close();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
