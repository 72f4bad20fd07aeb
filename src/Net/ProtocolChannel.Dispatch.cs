// Inbound messages of one channel, to one of two consumers, once both sides have opened and the
// remote's capability verified:
//   * an IChannelHandler (Attach), called on the connection's read loop: what replication uses;
//   * the Messages reader, for callers that prefer to pull.
// Why two: a reader costs a channel, its queue and a pump task per feed (about 1.5 KB, all of it for
// the garbage collector to walk), and a peer with 10,000 feeds opens 10,000 channels at once. A
// handler costs nothing until messages flow. Messages that arrive before either consumer is ready
// (the remote may open and send before the caller attaches) wait in a list made only then.
using System.Threading.Channels;
using Google.Protobuf;

namespace Cabal.Net;

public sealed partial class ProtocolChannel
{
    // Dispatch state, guarded by _dispatchGate (a lock of its own: the channel is public, and code
    // outside could lock it too). Contention is rare: only while a consumer attaches.
    private readonly Lock _dispatchGate = new();
    private Channel<IMessage>? _inbox;
    private IChannelHandler? _handler;
    private List<IMessage>? _early;   // arrived before the consumer was ready
    private bool _started;            // the handler has had OnRemoteOpened
    private bool _closeDelivered;     // the handler has had OnClosed

    /// <summary>
    /// Messages from the remote for this feed: Options, Status, Have, Unhave, Want, Unwant, Request,
    /// Cancel, Data. Unbounded (as in JS), so read it promptly. Not available once a handler is attached.
    /// </summary>
    public ChannelReader<IMessage> Messages
    {
        get
        {
            lock (_dispatchGate)
            {
                if (_handler is not null) throw new InvalidOperationException("This channel's messages go to its handler.");
                if (_inbox is null)
                {
                    var inbox = System.Threading.Channels.Channel.CreateUnbounded<IMessage>(
                        new UnboundedChannelOptions { SingleWriter = true, AllowSynchronousContinuations = false });
                    if (_early is not null) foreach (var m in _early) inbox.Writer.TryWrite(m);
                    _early = null;
                    Volatile.Write(ref _inbox, inbox);
                    if (IsClosed) inbox.Writer.TryComplete(); // MarkClosed may have looked before the write
                }
                return _inbox.Reader;
            }
        }
    }

    /// <summary>
    /// Hands this channel's events to <paramref name="handler"/> from now on (see <see cref="IChannelHandler"/>
    /// for the order). If the remote has already opened, OnRemoteOpened and any messages that were
    /// waiting are delivered before this returns; if the channel is already closed, OnClosed follows.
    /// Once per channel, and not together with <see cref="Messages"/>.
    /// </summary>
    public void Attach(IChannelHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_dispatchGate)
        {
            if (_handler is not null || _inbox is not null) throw new InvalidOperationException("This channel already has a consumer.");
            Volatile.Write(ref _handler, handler);
        }
        TryStart();
        if (IsClosed) DeliverClose();
    }

    /// <summary>Called by the connection's dispatch, one message at a time, in wire order.</summary>
    internal void Deliver(IMessage message)
    {
        lock (_dispatchGate)
        {
            if (_closeDelivered) return;
            if (_started) InvokeHandler(message);
            else if (_inbox is not null) _inbox.Writer.TryWrite(message);
            else (_early ??= []).Add(message);
        }
    }

    private void TryStart()
    {
        lock (_dispatchGate)
        {
            if (_started || _handler is not { } handler || !IsRemoteOpen) return;
            _started = true;
            try { handler.OnRemoteOpened(); }
            catch (Exception e) { HandlerFailed(e); return; }
            var early = _early;
            _early = null;
            if (early is not null) foreach (var m in early) InvokeHandler(m);
        }
    }

    private void DeliverClose()
    {
        lock (_dispatchGate)
        {
            if (_closeDelivered || _handler is not { } handler) return;
            _closeDelivered = true;
            _early = null;
            try { handler.OnClosed(CloseReason); }
            catch (Exception e) { Connection.OnChannelHandlerFailed(this, e); }
        }
    }

    // Caller holds _dispatchGate and has checked _started.
    private void InvokeHandler(IMessage message)
    {
        if (_closeDelivered) return;
        try { _handler!.OnMessage(message); }
        catch (Exception e) { HandlerFailed(e); }
    }

    // A handler that throws loses its channel, not the connection (whose read loop called it).
    private void HandlerFailed(Exception e)
    {
        Connection.OnChannelHandlerFailed(this, e);
        Close();
    }
}
