// The engine's callbacks (all run inside the stream lock), the receive path from a socket's loop, and the
// timer. Callbacks into application code (MessageReceived, Closed and RemoteChanged continuations) never
// run inside the lock: messages are handed over after the lock is released, tasks complete asynchronously.
using System.Buffers;
using System.Net;
using Cabal.Net.Udx.Engine;
using Cabal.Net.Udx.Internal;

namespace Cabal.Net.Udx;

public sealed partial class UdxStream : IUdxStreamHost
{
    private readonly ITimer _timer;
    private long _timerDue = UdxStreamEngine.Never;
    private ReadOnlyMemory<byte> _pendingMessage;
    private bool _hasPendingMessage;
    private bool _released;

    /// <summary>Set by the socket loop while this stream awaits its end-of-batch flush.</summary>
    internal bool InBatch;

    internal bool IsBoundTo(UdxSocket socket) => _engine.Route?.Socket == socket;

    /// <summary>Runs the firewall hook; true if the packet may be processed.</summary>
    internal bool RunFirewall(UdxSocket socket, IPEndPoint from)
    {
        var hook = Firewall;
        if (hook is null) return false;
        try
        {
            return !hook(socket, from);
        }
        catch (Exception e)
        {
            UdxLog.FirewallFault(_log, LocalId, from, e);
            return false;
        }
    }

    /// <summary>A datagram for this stream, from a socket's receive loop (acknowledgements wait for <see cref="EndOfBatch"/>).</summary>
    internal void Receive(ReadOnlyMemory<byte> datagram)
    {
        lock (_gate)
        {
            if (_released) return;
            var malformed = _engine.DroppedMalformed;
            _engine.OnPacket(datagram);
            if (_engine.DroppedMalformed != malformed) _udx.CountMalformed();
            if (_engine.IsClosed) AfterWork();
            else FlushSends();
        }
        RunPendingCallbacks();
    }

    /// <summary>The socket loop has no more datagrams queued: acknowledge, send, wake the reader.</summary>
    internal void EndOfBatch()
    {
        InBatch = false;
        lock (_gate)
        {
            _engine.Flush();
            AfterWork();
        }
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            _timerDue = UdxStreamEngine.Never;
            if (_released) return;
            _engine.OnTimer();
            _engine.Flush();
            AfterWork();
        }
        RunPendingCallbacks();
    }

    /// <summary>Inside the lock, after any engine call: wake the reader, re-arm the timer, release the id once closed.</summary>
    private void AfterWork()
    {
        FlushSends();
        FlushInput();
        if (_engine.IsReleased)
        {
            if (!_released)
            {
                _released = true;
                _timer.Dispose();
                _sendBatch = null;
                _udx.Unregister(this);
            }
            return;
        }
        var due = _engine.NextDeadline;
        if (due == UdxStreamEngine.Never || due >= _timerDue) return;
        _timerDue = due;
        var delay = Math.Max(0, due - _engine.Now);
        _timer.Change(TimeSpan.FromTicks(delay * 10), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Outside the lock: hands a MESSAGE to the application.</summary>
    private void RunPendingCallbacks()
    {
        if (!_hasPendingMessage) return;
        ReadOnlyMemory<byte> message;
        lock (_gate)
        {
            message = _pendingMessage;
            _pendingMessage = default;
            _hasPendingMessage = false;
        }
        try
        {
            MessageReceived?.Invoke(message);
        }
        catch (Exception e)
        {
            UdxLog.CallbackFault(_log, LocalId, e);
        }
    }

    /// <summary>The socket this stream sends from closed.</summary>
    internal void OnSocketClosed()
    {
        lock (_gate)
        {
            _engine.OnSocketClosed();
            _engine.Release();
            AfterWork();
        }
    }

    /// <summary>After an internal fault: destroy without trusting the engine's state to send anything.</summary>
    internal void Abort()
    {
        try
        {
            Shutdown();
        }
        catch (Exception)
        {
            lock (_gate)
            {
                _released = true;
                _timer.Dispose();
                _udx.Unregister(this);
                CompleteInput(new UdxException(UdxError.Destroyed));
                _closed.TrySetResult(new UdxException(UdxError.Destroyed));
            }
        }
    }

    /// <summary>The Udx instance is going away: destroy if open, stop lingering.</summary>
    internal void Shutdown()
    {
        lock (_gate)
        {
            _engine.Destroy();
            _engine.Release();
            AfterWork();
        }
    }

    // ---- IUdxStreamHost ---------------------------------------------------------------------------------

    // Datagrams are queued per stream and leave in one sendmmsg at the end of each locked section (Linux).
    private DatagramBatch? _sendBatch;
    private UdxSocket? _sendBatchSocket;
    private const int SendBatchSize = 32;
    private const int SendSlotSize = 2048;

    void IUdxStreamHost.Send(UdxRoute route, ReadOnlySpan<byte> datagram)
    {
        var socket = route.Socket;
        if (socket is null) return;
        if (!socket.CanBatch || datagram.Length > SendSlotSize)
        {
            FlushSends();
            socket.Send(datagram, route.Address);
            return;
        }
        if (_sendBatchSocket != socket) FlushSends();
        _sendBatch ??= new DatagramBatch(SendBatchSize, SendSlotSize);
        _sendBatchSocket = socket;
        if (_sendBatch.TryAdd(datagram, route.Address)) return;
        FlushSends();
        _sendBatchSocket = socket;
        if (!_sendBatch.TryAdd(datagram, route.Address)) socket.Send(datagram, route.Address);
    }

    /// <summary>Inside the lock: sends what was queued.</summary>
    private void FlushSends()
    {
        if (_sendBatch is not { Count: > 0 } batch) return;
        _sendBatchSocket?.SendBatch(batch);
        batch.Clear();
    }

    void IUdxStreamHost.Deliver(ReadOnlySpan<byte> data)
    {
        if (_inputCompleted) return;
        _input.Writer.Write(data);
        _inputDirty = true;
    }

    void IUdxStreamHost.DeliverMessage(ReadOnlyMemory<byte> message)
    {
        // Valid until the socket loop's dispatch returns, which is after the lock is released.
        _pendingMessage = message;
        _hasPendingMessage = true;
    }

    void IUdxStreamHost.RemoteEnded()
    {
        FlushInput();
        CompleteInput(null);
    }

    void IUdxStreamHost.WritableAgain() => _writable?.TrySetResult();

    void IUdxStreamHost.RemoteChanged()
    {
        _remoteChanged?.TrySetResult();
        _remoteChanged = null;
    }

    void IUdxStreamHost.Closed(UdxException? error)
    {
        FlushInput();
        CompleteInput(error ?? (_engine.RemoteEndedDelivered ? null : new UdxException(UdxError.Destroyed)));
        _writable?.TrySetResult();
        _remoteChanged?.TrySetResult();
        _output.Reader.CancelPendingRead();
        UdxLog.StreamClosed(_log, LocalId, error?.Message ?? (_engine.EndAckGaveUp ? "ended (END unacknowledged)" : "ended"));
        _closed.TrySetResult(error);
    }
}
