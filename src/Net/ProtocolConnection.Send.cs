// Send path. Every outgoing frame is serialised (in plaintext) into a pooled buffer and appended to one
// unbounded queue under the connection lock, so wire order is enqueue order. A single writer loop,
// released by the handshake, copies frames into the pipe, applies the transport cipher in place and
// flushes; flushing awaits the transport, which is where backpressure comes from. Synchronous sends
// never wait (a receive handler that blocked on sending could deadlock two peers that both do it);
// SendAsync waits afterwards while more than MaxQueuedSendBytes are queued.
using System.IO.Pipelines;
using Cabal.Net.Crypto;
using Cabal.Net.Internal;
using Cabal.Net.Protocol;
using Google.Protobuf;
using ThreadingChannel = System.Threading.Channels.Channel;

namespace Cabal.Net;

public sealed partial class ProtocolConnection
{
    private const int FlushThreshold = 64 * 1024;

    private readonly System.Threading.Channels.Channel<OutboundFrame> _queue = ThreadingChannel.CreateUnbounded<OutboundFrame>(
        new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private long _queuedBytes;
    private TaskCompletionSource _sendCapacity = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Bytes accepted for sending but not yet handed to the transport.</summary>
    public long QueuedSendBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Waits until the send queue is back under its bound (or the connection has ended).</summary>
    public async ValueTask WaitForSendCapacityAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var signal = Volatile.Read(ref _sendCapacity);
            if (Interlocked.Read(ref _queuedBytes) <= _options.MaxQueuedSendBytes || IsEnded) return;
            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void SignalSendCapacity()
        => Interlocked.Exchange(ref _sendCapacity, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Caller holds _gate. False (and the frame released) once the connection is closing.</summary>
    private bool EnqueueLocked(OutboundFrame frame)
    {
        if (!_queue.Writer.TryWrite(frame))
        {
            frame.Release();
            return false;
        }
        Interlocked.Add(ref _queuedBytes, frame.Length);
        return true;
    }

    private static OutboundFrame Serialize(ulong channel, IMessage message)
    {
        var size = FrameWriter.MessageFrameSize(channel, message, out var type, out var bodyLength);
        var frame = OutboundFrame.Rent(size);
        FrameWriter.Write(frame.Buffer!, channel, message, type, bodyLength);
        return frame;
    }

    private static OutboundFrame SerializeExtension(ulong channel, ulong id, ReadOnlySpan<byte> payload)
    {
        var frame = OutboundFrame.Rent(FrameWriter.ExtensionFrameSize(channel, id, payload.Length));
        FrameWriter.WriteExtension(frame.Buffer!, channel, id, payload);
        return frame;
    }

    /// <summary>Caller holds _gate.</summary>
    private bool EnqueueMessageLocked(ulong channel, IMessage message) => EnqueueLocked(Serialize(channel, message));

    private async Task WriteLoopAsync(CancellationToken ct)
    {
        if (!await _handshakeDone.Task.WaitAsync(ct).ConfigureAwait(false)) return;

        var output = _pipe.Output;
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            long unflushed = 0;
            while (reader.TryRead(out var frame))
            {
                try
                {
                    WriteEncrypted(output, frame);
                }
                finally
                {
                    frame.Release();
                }
                unflushed += frame.Length;
                if (unflushed >= FlushThreshold)
                {
                    if (!await FlushAsync(output, unflushed, ct).ConfigureAwait(false)) return;
                    unflushed = 0;
                }
            }
            if (!await FlushAsync(output, unflushed, ct).ConfigureAwait(false)) return;
        }
    }

    private async ValueTask<bool> FlushAsync(PipeWriter output, long written, CancellationToken ct)
    {
        var result = await output.FlushAsync(ct).ConfigureAwait(false);
        Volatile.Write(ref _lastSendTick, Clock);
        Interlocked.Add(ref _queuedBytes, -written);
        SignalSendCapacity();
        if (!result.IsCompleted && !result.IsCanceled) return true;
        End(null); // the transport no longer takes bytes
        return false;
    }

    private void WriteEncrypted(PipeWriter output, OutboundFrame frame)
    {
        Span<byte> span;
        int length;
        switch (frame.Kind)
        {
            case OutboundKind.Frame:
                length = frame.Length;
                span = output.GetSpan(length)[..length];
                frame.Buffer!.AsSpan(0, length).CopyTo(span);
                break;

            case OutboundKind.Open:
                // The capability binds the feed key to this handshake's split, hence computed only now.
                var channel = frame.Channel!;
                var split = _split!;
                var open = WireMessages.Open(channel.DiscoveryKey.Span, HypercoreCrypto.Capability(channel.KeyArray, split.Rx, split.Tx));
                length = FrameWriter.MessageFrameSize(channel.LocalId, open, out var type, out var bodyLength);
                span = output.GetSpan(length)[..length];
                FrameWriter.Write(span, channel.LocalId, open, type, bodyLength);
                break;

            default:
                length = 1;
                span = output.GetSpan(1)[..1];
                span[0] = 0;
                break;
        }
        if (frame.Kind != OutboundKind.Ping) Interlocked.Increment(ref _framesSent);
        _tx!.Process(span);
        output.Advance(length);
    }
}
