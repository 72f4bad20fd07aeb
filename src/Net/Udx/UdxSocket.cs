// One bound UDP socket (IPv4) of a Udx instance. Every datagram it receives is demultiplexed
// (spec/hyperswarm.md §0.2): at least 20 bytes starting FF 01 whose u32le at offset 4 is a live stream id
// of the instance goes to that stream (through the stream's firewall hook first if the stream is not
// connected, or is connected on another socket); every other datagram goes to OnDatagram (dht-rpc
// messages, holepunch probes, packets for closed streams). The receive loop (Internal/SocketReceiveLoop)
// runs on a thread of its own; nothing a peer sends, nor a handler that throws, ends it.
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Udx.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.Udx;

public sealed class UdxSocket : IDisposable, IAsyncDisposable
{
    /// <summary>Largest datagram the receive loop accepts whole (the largest UDP payload, rounded up).</summary>
    public const int MaxDatagramSize = 65_536;

    private readonly Udx _udx;
    private readonly ILogger _log;
    private readonly ReaderWriterLockSlim _ttlLock = new(LockRecursionPolicy.NoRecursion);
    private readonly Lock _gate = new();
    private Socket? _socket;
    private SocketReceiveLoop? _loop;
    private FaultInjector? _faults;
    private int _disposed;

    internal UdxSocket(Udx udx)
    {
        _udx = udx;
        _log = udx.Options.LoggerFactory?.CreateLogger<UdxSocket>() ?? (ILogger)NullLogger.Instance;
    }

    internal Udx Udx => _udx;

    internal ILogger Log => _log;

    internal Socket? Socket => _socket;

    internal FaultInjector? Faults => _faults;

    /// <summary>The bound address (null before <see cref="Bind"/>).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    public bool IsBound => LocalEndPoint is not null;

    public bool IsClosed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Receives every datagram that is not for a live stream: (datagram, source). The memory is only valid
    /// during the call. Runs on the socket's receive loop: it must not block; an exception it throws is
    /// caught, counted (<see cref="HandlerFaults"/>) and logged.
    /// </summary>
    public Action<ReadOnlyMemory<byte>, IPEndPoint>? OnDatagram { get; set; }

    // ---- counters ------------------------------------------------------------------------------------

    internal long _sendBatches;
    internal long _datagramsReceived, _datagramsSent, _streamPackets, _toUnknownStream, _unhandled, _handlerFaults, _firewalled, _sendErrors;

    public long DatagramsReceived => Interlocked.Read(ref _datagramsReceived);
    public long DatagramsSent => Interlocked.Read(ref _datagramsSent);
    /// <summary>Datagrams handed to a stream.</summary>
    public long StreamPackets => Interlocked.Read(ref _streamPackets);
    /// <summary>UDX-looking datagrams (FF 01, ≥ 20 bytes) whose id is no live stream: passed to OnDatagram.</summary>
    public long ToUnknownStream => Interlocked.Read(ref _toUnknownStream);
    /// <summary>Datagrams dropped because no OnDatagram handler was set.</summary>
    public long Unhandled => Interlocked.Read(ref _unhandled);
    public long HandlerFaults => Interlocked.Read(ref _handlerFaults);
    /// <summary>Stream packets a firewall hook dropped (or that arrived for an unconnected stream without one).</summary>
    public long Firewalled => Interlocked.Read(ref _firewalled);
    public long SendErrors => Interlocked.Read(ref _sendErrors);
    /// <summary>Malformed stream packets the streams of this instance dropped (all sockets together).</summary>
    public long DroppedMalformed => _udx.DroppedMalformed;
    /// <summary>Datagrams the fault-injection hook dropped, duplicated, reordered (both directions).</summary>
    public (long Dropped, long Duplicated, long Reordered) InjectedFaults
        => _faults is { } f ? (Interlocked.Read(ref f.Dropped), Interlocked.Read(ref f.Duplicated), Interlocked.Read(ref f.Reordered)) : default;

    // ---- bind / close --------------------------------------------------------------------------------

    /// <summary>Binds to <paramref name="endPoint"/> (port 0: a free port) and starts receiving.</summary>
    public void Bind(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException("UDX sockets are IPv4 (as dht-rpc and hyperdht).", nameof(endPoint));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            if (_socket is not null) throw new InvalidOperationException("The socket is already bound.");
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                var size = _udx.Options.SocketBufferSize;
                if (size > 0)
                {
                    TrySetBuffer(() => socket.ReceiveBufferSize = size);
                    TrySetBuffer(() => socket.SendBufferSize = size);
                }
                // Don't fragment, as libudx: MTU probes must fail rather than be fragmented.
                try { socket.DontFragment = true; } catch (SocketException) { } catch (PlatformNotSupportedException) { }
                socket.Bind(endPoint);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _socket = socket;
            LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
            if (_udx.Options.FaultInjection is { } faults)
            {
                _faults = new FaultInjector(faults, _udx.Options.TimeProvider, SendCore);
                UdxLog.FaultInjection(_log, LocalEndPoint, faults);
            }
            _loop = new SocketReceiveLoop(this);
            _loop.Start();
        }
        UdxLog.Bound(_log, LocalEndPoint!);
    }

    private static void TrySetBuffer(Action set)
    {
        try { set(); } catch (SocketException) { }
    }

    /// <summary>Closes the socket: streams sending from it close with <see cref="UdxError.SocketClosed"/>.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _udx.OnSocketClosed(this);
        Socket? socket;
        lock (_gate) socket = _socket;
        _loop?.Stop();
        socket?.Dispose();
        _loop?.Join(TimeSpan.FromSeconds(5));
        _faults?.Dispose();
    }

    public void Dispose() => Close();

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    // ---- sending --------------------------------------------------------------------------------------

    /// <summary>
    /// Sends one plain datagram (no UDX header). <paramref name="ttl"/> &gt; 0 sets the IP TTL for this one send
    /// (hyperdht's holepunch probes: 1 byte, TTL 5). False if the socket is not bound, closed, or the send failed.
    /// </summary>
    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint to, int ttl = 0)
    {
        ArgumentNullException.ThrowIfNull(to);
        if (to.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException("UDX sockets are IPv4.", nameof(to));
        if (to.Port == 0) throw new ArgumentException("Port 0 is not a destination.", nameof(to));
        if (ttl is < 0 or > 255) throw new ArgumentOutOfRangeException(nameof(ttl), "TTL must be 0 (the socket's) to 255.");
        if (datagram.Length > MaxDatagramSize - 29) throw new ArgumentException("The datagram is larger than UDP allows.", nameof(datagram));
        var address = to.Serialize();
        if (ttl == 0) return Send(datagram, address);
        var socket = _socket;
        if (socket is null || IsClosed) return false;
        _ttlLock.EnterWriteLock();
        try
        {
            var previous = socket.Ttl;
            socket.Ttl = (short)ttl;
            try { return SendUnlocked(datagram, address); }
            finally { socket.Ttl = previous; }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            _ttlLock.ExitWriteLock();
        }
    }

    /// <summary>Asynchronous form of <see cref="TrySend"/> (a UDP send does not block; this completes at once).</summary>
    public ValueTask<bool> SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, int ttl = 0, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(TrySend(datagram.Span, to, ttl));
    }

    /// <summary>Sends from a stream (or a plain send): through the fault hook, counted, never throws.</summary>
    internal bool Send(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if (IsClosed) return false;
        _ttlLock.EnterReadLock();
        try { return SendUnlocked(datagram, to); }
        finally { _ttlLock.ExitReadLock(); }
    }

    private bool SendUnlocked(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if (_faults is { } faults)
        {
            faults.Send(datagram, to);
            return true;
        }
        return SendCoreChecked(datagram, to);
    }

    private void SendCore(ReadOnlySpan<byte> datagram, SocketAddress to) => SendCoreChecked(datagram, to);

    /// <summary>Whether streams may queue datagrams for <see cref="SendBatch"/> (Linux, no fault injection).</summary>
    internal bool CanBatch => _faults is null && LinuxUdp.IsSupported;

    /// <summary>Sends a batch of stream datagrams with one system call (sendmmsg); never throws.</summary>
    internal unsafe void SendBatch(DatagramBatch batch)
    {
        var socket = _socket;
        if (socket is null || IsClosed || batch.Count == 0) return;
        _ttlLock.EnterReadLock();
        try
        {
            var sent = LinuxUdp.Send(socket.SafeHandle, batch.Messages, batch.Count, out var failed);
            Interlocked.Increment(ref _sendBatches);
            Interlocked.Add(ref _datagramsSent, sent);
            if (failed > 0) Interlocked.Add(ref _sendErrors, failed);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            _ttlLock.ExitReadLock();
        }
    }

    private bool SendCoreChecked(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        var socket = _socket;
        if (socket is null) return false;
        try
        {
            socket.SendTo(datagram, SocketFlags.None, to);
            Interlocked.Increment(ref _datagramsSent);
            return true;
        }
        catch (SocketException e)
        {
            // A failed UDP send is a lost packet: the streams' loss recovery covers it.
            Interlocked.Increment(ref _sendErrors);
            if (_log.IsEnabled(LogLevel.Debug)) UdxLog.SendFailed(_log, null, e.SocketErrorCode.ToString());
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public override string ToString() => $"udx socket {LocalEndPoint?.ToString() ?? "(unbound)"}";
}
