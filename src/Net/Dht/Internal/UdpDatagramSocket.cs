// A plain IPv4 UDP socket behind IDatagramSocket: one receive loop per socket handing each datagram
// to OnDatagram, synchronous non-blocking sends. Handler exceptions are counted and logged, never
// allowed to end the loop; ICMP "port unreachable" resets (Windows) and transient errors are ignored.
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Dht.Internal;

internal sealed class UdpDatagramSocket : IDatagramSocket
{
    private const int MaxDatagram = 65536;

    private readonly Socket _socket;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _ttlGate = new();
    private int _started;
    private long _handlerFaults;

    public UdpDatagramSocket(IPEndPoint bindTo, ILogger log)
    {
        _log = log;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Bind(bindTo);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public long HandlerFaults => Interlocked.Read(ref _handlerFaults);

    private Action<ReadOnlyMemory<byte>, IPEndPoint>? _onDatagram;

    public Action<ReadOnlyMemory<byte>, IPEndPoint>? OnDatagram
    {
        get => _onDatagram;
        set
        {
            _onDatagram = value;
            if (value is not null && Interlocked.Exchange(ref _started, 1) == 0)
                _ = Task.Run(ReceiveLoopAsync);
        }
    }

    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint to, int ttl = 0)
    {
        try
        {
            if (ttl <= 0) return _socket.SendTo(datagram, SocketFlags.None, to) == datagram.Length;
            lock (_ttlGate)
            {
                var previous = _socket.Ttl;
                _socket.Ttl = (short)ttl;
                try { return _socket.SendTo(datagram, SocketFlags.None, to) == datagram.Length; }
                finally { _socket.Ttl = previous; }
            }
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize or SocketError.NetworkReset)
            {
                continue;
            }
            catch (SocketException e)
            {
                if (_stop.IsCancellationRequested) break;
                DhtLog.ReceiveFailed(_log, e);
                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }

            try
            {
                _onDatagram?.Invoke(buffer.AsMemory(0, result.ReceivedBytes), (IPEndPoint)result.RemoteEndPoint);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _handlerFaults);
                DhtLog.HandlerFailed(_log, e);
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Binds real UDP sockets.</summary>
internal sealed class UdpDatagramSocketFactory(ILogger log) : IDatagramSocketFactory
{
    public IDatagramSocket Bind(IPEndPoint endPoint) => new UdpDatagramSocket(endPoint, log);
}
