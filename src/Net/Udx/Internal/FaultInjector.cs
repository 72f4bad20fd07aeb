// The test hook behind UdxFaultInjection: loses, duplicates and reorders datagrams on one socket, each
// direction on its own. Seeded, so a failing run can be replayed (given the same datagram order).
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Udx.Internal;

internal sealed class FaultInjector : IDisposable
{
    internal delegate void SendAction(ReadOnlySpan<byte> datagram, SocketAddress to);

    private readonly UdxFaultInjection _faults;
    private readonly Lock _gate = new();
    private readonly Random _outRandom;
    private readonly Random _inRandom;
    private readonly ITimer _flushTimer;
    private readonly SendAction _send;

    private byte[]? _heldOut;
    private int _heldOutLength;
    private SocketAddress? _heldOutTo;

    private readonly byte[] _heldIn = new byte[UdxSocket.MaxDatagramSize];
    private int _heldInLength = -1;
    private SocketAddress? _heldInFrom;

    public FaultInjector(UdxFaultInjection faults, TimeProvider time, SendAction send)
    {
        _faults = faults;
        _outRandom = new Random(faults.Seed);
        _inRandom = new Random(unchecked(faults.Seed * 7919 + 17));
        _send = send;
        _flushTimer = time.CreateTimer(_ => FlushHeldOutgoing(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public long Dropped;
    public long Duplicated;
    public long Reordered;

    public bool AffectsIncoming => _faults.Incoming;

    public void Send(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if (!_faults.Outgoing)
        {
            _send(datagram, to);
            return;
        }
        lock (_gate)
        {
            if (_outRandom.NextDouble() < _faults.LossRate)
            {
                Interlocked.Increment(ref Dropped);
                return;
            }
            var duplicate = _outRandom.NextDouble() < _faults.DuplicateRate;
            if (_heldOut is null && _outRandom.NextDouble() < _faults.ReorderRate)
            {
                _heldOut = datagram.ToArray();
                _heldOutLength = datagram.Length;
                _heldOutTo = Copy(to);
                Interlocked.Increment(ref Reordered);
                _flushTimer.Change(_faults.ReorderDelay, Timeout.InfiniteTimeSpan);
                return;
            }
            _send(datagram, to);
            if (duplicate)
            {
                _send(datagram, to);
                Interlocked.Increment(ref Duplicated);
            }
            ReleaseHeldOutgoingLocked();
        }
    }

    private void FlushHeldOutgoing()
    {
        lock (_gate) ReleaseHeldOutgoingLocked();
    }

    private void ReleaseHeldOutgoingLocked()
    {
        if (_heldOut is null) return;
        var held = _heldOut;
        _heldOut = null;
        try { _send(held.AsSpan(0, _heldOutLength), _heldOutTo!); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    /// <summary>
    /// Incoming side, on the receive loop: dispatches the datagram zero, one or two times, now or (held back)
    /// after the next one or at the end of the receive batch.
    /// </summary>
    public void Receive(Memory<byte> datagram, SocketAddress from, Action<ReadOnlyMemory<byte>, SocketAddress> dispatch)
    {
        if (_inRandom.NextDouble() < _faults.LossRate)
        {
            Interlocked.Increment(ref Dropped);
            return;
        }
        var duplicate = _inRandom.NextDouble() < _faults.DuplicateRate;
        if (_heldInLength < 0 && _inRandom.NextDouble() < _faults.ReorderRate)
        {
            datagram.Span.CopyTo(_heldIn);
            _heldInLength = datagram.Length;
            _heldInFrom = Copy(from);
            Interlocked.Increment(ref Reordered);
            return;
        }
        dispatch(datagram, from);
        if (duplicate)
        {
            dispatch(datagram, from);
            Interlocked.Increment(ref Duplicated);
        }
        ReleaseHeldIncoming(dispatch);
    }

    /// <summary>Dispatches a held-back incoming datagram (after its successor, or at the end of a receive batch).</summary>
    public void ReleaseHeldIncoming(Action<ReadOnlyMemory<byte>, SocketAddress> dispatch)
    {
        if (_heldInLength < 0) return;
        var length = _heldInLength;
        _heldInLength = -1;
        dispatch(_heldIn.AsMemory(0, length), _heldInFrom!);
    }

    private static SocketAddress Copy(SocketAddress a)
    {
        var copy = new SocketAddress(a.Family, a.Size);
        a.Buffer.Span[..a.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    public void Dispose() => _flushTimer.Dispose();
}
