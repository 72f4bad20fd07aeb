// Receive path. The transport cipher is applied in place to the pipe's own buffers: bytes that belong
// to a frame not yet complete stay in the pipe already decrypted, so `_decryptedAhead` remembers how
// many leading bytes of the next read must not be decrypted again. Frames are parsed and dispatched
// synchronously, then consumed; handlers therefore see frames strictly in wire order.
using System.Buffers;
using System.Runtime.InteropServices;
using Cabal.Net.Internal;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net;

public sealed partial class ProtocolConnection
{
    private long _decryptedAhead;

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        var input = _pipe.Input;
        while (true)
        {
            var result = await input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            NoteBuffered(buffer.Length);
            Volatile.Write(ref _lastReceiveTick, Clock);
            var consumed = buffer.Start;

            if (_rx is null)
            {
                consumed = ConsumeHandshake(buffer, out var wrote);
                if (wrote) await _pipe.Output.FlushAsync(ct).ConfigureAwait(false);
                if (_handshake.IsCompleted) OnHandshakeCompleted();
            }

            if (_rx is not null)
                consumed = ConsumeTransport(buffer.Slice(consumed));

            input.AdvanceTo(consumed, buffer.End);

            if (result.IsCompleted || result.IsCanceled)
            {
                End(_rx is null ? new IOException("The remote closed the connection during the handshake.") : null);
                return;
            }
            if (IsEnded) return;
        }
    }

    private SequencePosition ConsumeTransport(ReadOnlySequence<byte> transport)
    {
        foreach (var segment in transport.Slice(_decryptedAhead))
            _rx!.Process(MemoryMarshal.AsMemory(segment).Span);

        var reader = new SequenceReader<byte>(transport);
        try
        {
            while (!IsEnded && FrameParser.TryParse(ref reader, out var frame, MaxFrameBodyNow))
                HandleFrame(frame);
        }
        catch (FrameTooLargeException e)
        {
            throw Abuse(e.Message, e);
        }

        _decryptedAhead = reader.Remaining;
        return reader.Position;
    }

    private void HandleFrame(in Frame frame)
    {
        if (frame.IsKeepAlive) return;
        try
        {
            if (frame.Type == MessageType.Extension)
            {
                OnExtensionFrame(frame.Channel, ProtocolMessage.DecodeExtension(frame.Channel, frame.Body));
                return;
            }

            switch (ProtocolMessage.Decode(frame.Channel, frame.Type, frame.Body))
            {
                case null: return; // types 11..14
                case Open open: OnOpen(frame.Channel, open); break;
                case Close close: OnClose(frame.Channel, close); break;
                case Options options: OnOptions(frame.Channel, options); break;
                case IMessage message: OnChannelMessage(frame.Channel, frame.Type, message); break;
            }
        }
        catch (InvalidMessageException e)
        {
            OnInvalidMessage(e);
        }
        finally
        {
            Interlocked.Increment(ref _framesReceived); // after dispatch, so a count seen means handled
        }
    }
}
