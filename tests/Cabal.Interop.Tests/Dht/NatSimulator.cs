using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Cabal.Interop.Tests.Dht;

/// <summary>How a simulated NAT maps an inside socket to outside ports.</summary>
public enum NatBehaviour
{
    /// <summary>One outside port per inside socket, whatever the destination (endpoint-independent mapping).</summary>
    Consistent,

    /// <summary>A new outside port for every destination (a "symmetric" NAT): the port peers see tells nothing.</summary>
    Random,
}

/// <summary>
/// A NAT on 127.0.0.1 for holepunch tests: every address here is loopback, so a peer is put "behind" it with
/// UDX's tunnel hook (UdxOptions.Tunnel = its Gateway). The peer's datagrams arrive wrapped with their
/// destination; the NAT sends each on from an outside UDP socket of its own (one per inside socket, or one
/// per destination when Random) and delivers back only what comes from an address that outside socket has
/// sent to (address-and-port-dependent filtering): unsolicited datagrams are dropped and counted. A
/// datagram sent with TTL 1–5 opens the mapping and dies on the way, as a holepunch's low-TTL probe dies
/// between two real NATs.
/// </summary>
public sealed class NatSimulator : IAsyncDisposable
{
    private const int HeaderSize = 7;
    private const int LowTtl = 5;

    private sealed class Mapping(Socket outside, IPEndPoint inside)
    {
        public readonly Socket Outside = outside;
        public readonly IPEndPoint Inside = inside;
        public readonly ConcurrentDictionary<IPEndPoint, byte> Allowed = new();
    }

    private readonly Socket _gateway;
    private readonly NatBehaviour _behaviour;
    private readonly ConcurrentDictionary<(IPEndPoint Inside, IPEndPoint? To), Mapping> _mappings = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _forwarded, _delivered, _unsolicited, _lowTtl;

    public NatSimulator(NatBehaviour behaviour)
    {
        _behaviour = behaviour;
        _gateway = Bind();
        Gateway = (IPEndPoint)_gateway.LocalEndPoint!;
        lock (_loops) _loops.Add(Task.Run(GatewayLoopAsync));
    }

    /// <summary>Where the peers behind this NAT send everything (UdxTunnel.Gateway).</summary>
    public IPEndPoint Gateway { get; }

    public long Forwarded => Interlocked.Read(ref _forwarded);
    public long Delivered => Interlocked.Read(ref _delivered);
    public long DroppedUnsolicited => Interlocked.Read(ref _unsolicited);
    public long DroppedLowTtl => Interlocked.Read(ref _lowTtl);
    public int Mappings => _mappings.Count;

    /// <summary>Outside ports in use.</summary>
    public IReadOnlyCollection<int> OutsidePorts => _mappings.Values.Select(m => ((IPEndPoint)m.Outside.LocalEndPoint!).Port).ToHashSet();

    private static Socket Bind()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private async Task GatewayLoopAsync()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try { r = await _gateway.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            if (r.ReceivedBytes < HeaderSize) continue;
            var inside = (IPEndPoint)r.RemoteEndPoint;
            var to = new IPEndPoint(new IPAddress(buffer.AsSpan(0, 4)), BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(4, 2)));
            var ttl = buffer[6];
            var mapping = _mappings.GetOrAdd((inside, _behaviour == NatBehaviour.Random ? to : null), _ => Open(inside));
            mapping.Allowed.TryAdd(to, 0);
            if (ttl is > 0 and <= LowTtl)
            {
                Interlocked.Increment(ref _lowTtl);
                continue;
            }
            try
            {
                mapping.Outside.SendTo(buffer.AsSpan(HeaderSize, r.ReceivedBytes - HeaderSize), SocketFlags.None, to);
                Interlocked.Increment(ref _forwarded);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }
    }

    private Mapping Open(IPEndPoint inside)
    {
        var mapping = new Mapping(Bind(), inside);
        lock (_loops) _loops.Add(Task.Run(() => OutsideLoopAsync(mapping)));
        return mapping;
    }

    private async Task OutsideLoopAsync(Mapping mapping)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try { r = await mapping.Outside.ReceiveFromAsync(buffer.AsMemory(HeaderSize), SocketFlags.None, any, _stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            var from = (IPEndPoint)r.RemoteEndPoint;
            if (!mapping.Allowed.ContainsKey(from))
            {
                Interlocked.Increment(ref _unsolicited);
                continue;
            }
            from.Address.TryWriteBytes(buffer.AsSpan(0, 4), out _);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(4, 2), (ushort)from.Port);
            buffer[6] = 0;
            try
            {
                _gateway.SendTo(buffer.AsSpan(0, HeaderSize + r.ReceivedBytes), SocketFlags.None, mapping.Inside);
                Interlocked.Increment(ref _delivered);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }
    }

    public override string ToString()
        => $"{_behaviour} NAT: {Mappings} mappings, {Forwarded} out, {Delivered} in, {DroppedUnsolicited} unsolicited and {DroppedLowTtl} low-TTL dropped";

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _gateway.Dispose();
        foreach (var m in _mappings.Values) m.Outside.Dispose();
        Task[] loops;
        lock (_loops) loops = [.. _loops];
        try { await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { }
        _stop.Dispose();
    }
}
