// The receive loop of one UdxSocket: a dedicated thread blocked in recvfrom into one pinned 64 KiB
// buffer (no allocation per datagram), demultiplexing as spec/hyperswarm.md §0.2 says. Datagrams are
// handled in batches: while more are queued in the kernel, streams only collect them; when the queue is
// empty (or after 64 datagrams), each stream that received something flushes once: one ACK for the
// batch, one send burst, one wake-up of its reader. That is the main saving over libudx, which answers
// every DATA packet with its own ACK.
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Udx.Internal;

internal sealed class SocketReceiveLoop
{
    private const int MaxBatch = 64;
    private const int RecvBatch = 16;

    private readonly UdxSocket _owner;
    private readonly Socket _socket;
    private readonly Udx _udx;
    private readonly Thread _thread;
    private readonly List<UdxStream> _dirty = [];
    private readonly Action<ReadOnlyMemory<byte>, SocketAddress> _dispatch;
    private volatile bool _stopping;
    private SocketAddress? _lastAddress;
    private IPEndPoint? _lastEndPoint;
    private int _batch;

    public SocketReceiveLoop(UdxSocket owner)
    {
        _owner = owner;
        _socket = owner.Socket!;
        _udx = owner.Udx;
        _dispatch = Dispatch;
        _thread = new Thread(Run) { IsBackground = true, Name = "udx " + owner.LocalEndPoint };
    }

    public void Start() => _thread.Start();

    public void Stop()
    {
        _stopping = true;
        // Wakes a thread blocked in a receive (Linux: shutdown on a UDP socket wakes its readers).
        try { _socket.Shutdown(SocketShutdown.Both); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public void Join(TimeSpan timeout)
    {
        if (Thread.CurrentThread != _thread) _thread.Join(timeout);
    }

    private void Run()
    {
        if (LinuxUdp.IsSupported)
        {
            RunBatched();
            return;
        }
        var buffer = GC.AllocateUninitializedArray<byte>(UdxSocket.MaxDatagramSize, pinned: true);
        var address = new SocketAddress(AddressFamily.InterNetwork);
        var faults = _owner.Faults is { AffectsIncoming: true } f ? f : null;
        while (!_stopping)
        {
            int n;
            try
            {
                n = _socket.ReceiveFrom(buffer, SocketFlags.None, address);
            }
            catch (SocketException e) when (!_stopping && e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize or SocketError.Interrupted or SocketError.NoBufferSpaceAvailable)
            {
                continue; // an ICMP error for an earlier send, or an oversized datagram: not fatal
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (!_stopping) Internal.UdxLog.ReceiveFailed(_owner.Log, _owner.LocalEndPoint, e);
                break;
            }
            if (_stopping) break;
            if (faults is null) Dispatch(buffer.AsMemory(0, n), address);
            else faults.Receive(buffer.AsMemory(0, n), address, _dispatch);

            if (++_batch >= MaxBatch || Available() == 0)
            {
                faults?.ReleaseHeldIncoming(_dispatch);
                EndBatch();
            }
        }
        EndBatch();
    }

    /// <summary>Linux: up to <see cref="RecvBatch"/> datagrams per recvmmsg; a short batch means the queue is empty.</summary>
    private unsafe void RunBatched()
    {
        using var batch = new DatagramBatch(RecvBatch, UdxSocket.MaxDatagramSize);
        var address = new SocketAddress(AddressFamily.InterNetwork);
        var faults = _owner.Faults is { AffectsIncoming: true } f ? f : null;
        while (!_stopping)
        {
            var n = LinuxUdp.Receive(_socket.SafeHandle, batch.Messages, batch.Capacity, out var errno);
            if (_stopping) break;
            if (n <= 0)
            {
                // ECONNREFUSED (an ICMP error for an earlier send) and the like are not fatal; EBADF etc. are.
                if (n < 0 && errno is 111 or 11 or 105 or 90) continue;
                if (n < 0) Internal.UdxLog.ReceiveFailed(_owner.Log, _owner.LocalEndPoint, new SocketException(errno));
                break;
            }
            for (var i = 0; i < n; i++)
            {
                var datagram = batch.Received(i, out var truncated);
                if (truncated) continue; // impossible with 64 KiB slots
                batch.SourceOf(i, address);
                if (faults is null) Dispatch(datagram, address);
                else faults.Receive(datagram, address, _dispatch);
            }
            batch.ResetForReceive(n);
            _batch += n;
            if (n < batch.Capacity || _batch >= MaxBatch)
            {
                faults?.ReleaseHeldIncoming(_dispatch);
                EndBatch();
            }
        }
        EndBatch();
    }

    private int Available()
    {
        try { return _socket.Available; }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { return 0; }
    }

    private void EndBatch()
    {
        _batch = 0;
        // A flush may run user continuations indirectly (pipe readers are woken asynchronously), never inline.
        foreach (var s in _dirty)
        {
            try
            {
                s.EndOfBatch();
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _owner._handlerFaults);
                Internal.UdxLog.StreamFault(_owner.Log, s.LocalId, e);
                s.Abort();
            }
        }
        _dirty.Clear();
    }

    private void Dispatch(ReadOnlyMemory<byte> datagram, SocketAddress address)
    {
        Interlocked.Increment(ref _owner._datagramsReceived);
        var span = datagram.Span;
        if (UdxPacket.TryReadStreamId(span, out var id))
        {
            if (_udx.TryGetStream(id, out var stream))
            {
                if (!stream.IsBoundTo(_owner) && !stream.RunFirewall(_owner, EndPointOf(address)))
                {
                    Interlocked.Increment(ref _owner._firewalled);
                    return;
                }
                Interlocked.Increment(ref _owner._streamPackets);
                try
                {
                    stream.Receive(datagram);
                }
                catch (Exception e)
                {
                    // A fault in the stream machinery must not take the socket down with it.
                    Interlocked.Increment(ref _owner._handlerFaults);
                    Internal.UdxLog.StreamFault(_owner.Log, stream.LocalId, e);
                    stream.Abort();
                    return;
                }
                if (!stream.InBatch)
                {
                    stream.InBatch = true;
                    _dirty.Add(stream);
                }
                return;
            }
            Interlocked.Increment(ref _owner._toUnknownStream);
        }

        var handler = _owner.OnDatagram;
        if (handler is null)
        {
            Interlocked.Increment(ref _owner._unhandled);
            return;
        }
        var from = EndPointOf(address);
        try
        {
            handler(datagram, from);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _owner._handlerFaults);
            Internal.UdxLog.HandlerFault(_owner.Log, _owner.LocalEndPoint, from, e);
        }
    }

    /// <summary>The source as an IPEndPoint, reusing the last one when the address repeats.</summary>
    private IPEndPoint EndPointOf(SocketAddress address)
    {
        if (_lastEndPoint is not null && _lastAddress is not null && _lastAddress.Equals(address)) return _lastEndPoint;
        var endPoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(address);
        _lastAddress = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(_lastAddress.Buffer.Span);
        _lastEndPoint = endPoint;
        return endPoint;
    }
}
