// Handing inbound channel messages to their channels. They are delivered on the read loop, in wire
// order, while the send queue is under its bound. Past the bound they wait in one queue for the whole
// connection, and a drain task delivers them, still in order, as the transport takes our bytes.
// Why not pause reading instead: two peers that both stopped reading while their sends backed up
// would deadlock. Why not a queue per channel: a peer with 10,000 feeds opens 10,000 channels, and
// a queue and pump task each is about 1.5 KB of long-lived heap per feed. Waiting messages are the
// remote's (small requests, or blocks we asked for), so what the remote makes us send stays bounded
// by how fast it reads. A remote that keeps sending while it does not read fills the queue: past
// MaxDeferredBytes the connection ends for abuse.
using Cabal.Net.Internal;
using Google.Protobuf;

namespace Cabal.Net;

public sealed partial class ProtocolConnection
{
    private readonly Lock _dispatchGate = new();
    private const int DeferredOverhead = 64; // queue slot, message object: what a waiting message costs beyond its bytes

    private Queue<(ProtocolChannel Channel, IMessage Message, int Cost)>? _deferred; // non-null while draining
    private long _deferredBytes;

    /// <summary>Bytes (encoded size plus bookkeeping) of the remote's messages waiting for our sends to drain.</summary>
    public long DeferredBytes { get { lock (_dispatchGate) return _deferredBytes; } }

    /// <summary>Receive loop: delivers the message now, or queues it behind our sends; throws (ending the connection) past MaxDeferredBytes.</summary>
    private void Dispatch(ProtocolChannel channel, IMessage message)
    {
        lock (_dispatchGate)
        {
            if (_deferred is not null || Interlocked.Read(ref _queuedBytes) > _options.MaxQueuedSendBytes)
            {
                var cost = message.CalculateSize() + DeferredOverhead;
                if (_deferredBytes + cost > _options.MaxDeferredBytes)
                    throw Abuse($"the remote does not read: {_deferred?.Count ?? 0} of its messages ({_deferredBytes} bytes) wait for our {Interlocked.Read(ref _queuedBytes)} queued bytes to drain");
                if (_deferred is null)
                {
                    _deferred = new Queue<(ProtocolChannel, IMessage, int)>();
                    _ = Task.Run(DrainDeferredAsync);
                }
                _deferred.Enqueue((channel, message, cost));
                _deferredBytes += cost;
                Interlocked.Increment(ref _messagesDeferred);
                return;
            }
        }
        channel.Deliver(message);
    }

    private async Task DrainDeferredAsync()
    {
        while (true)
        {
            // Returns at once while under the bound, and for good once the connection has ended
            // (the channels are closed by then, so what is left is dropped).
            await WaitForSendCapacityAsync().ConfigureAwait(false);
            (ProtocolChannel Channel, IMessage Message, int Cost) next;
            lock (_dispatchGate)
            {
                if (IsEnded || !_deferred!.TryDequeue(out next))
                {
                    _deferred = null; // ended: what is left is dropped (the channels are closing)
                    _deferredBytes = 0;
                    return;
                }
                _deferredBytes -= next.Cost;
            }
            next.Channel.Deliver(next.Message);
        }
    }

    /// <summary>Messages waiting for the send queue to drain (diagnostics and tests).</summary>
    internal int DeferredMessageCount { get { lock (_dispatchGate) return _deferred?.Count ?? 0; } }

    internal void OnChannelHandlerFailed(ProtocolChannel channel, Exception error)
        => ConnectionLog.ChannelHandlerFailed(_log, channel.LocalId, error);
}
