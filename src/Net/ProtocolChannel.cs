// One feed on one connection (hypercore-protocol 8 Channel; spec/hypercore.md §8). Created by
// ProtocolConnection.OpenChannel. The local id is ours and never reused; the remote id is learned from
// the remote's Open. Inbound messages (types 1..9) flow once both sides have opened and the remote's
// capability verified, to one of two consumers:
//   * an IChannelHandler (Attach), called on the connection's read loop: what replication uses;
//   * the Messages reader, for callers that prefer to pull.
// Why two: a reader costs a channel, its queue and a pump task per feed (about 1.5 KB, all of it for
// the garbage collector to walk), and a peer with 10,000 feeds opens 10,000 channels at once. A
// handler costs nothing until messages flow. Messages that arrive before either consumer is ready
// (the remote may open and send before the caller attaches) wait in a list made only then.
using System.Threading.Channels;
using Cabal.Net.Internal;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net;

public sealed class ProtocolChannel
{
    // Dispatch state, guarded by lock (this): a monitor on the channel itself allocates nothing
    // unless contended, and contention is rare (only while a consumer attaches).
    private Channel<IMessage>? _inbox;
    private IChannelHandler? _handler;
    private List<IMessage>? _early;   // arrived before the consumer was ready
    private bool _started;            // the handler has had OnRemoteOpened
    private bool _closeDelivered;     // the handler has had OnClosed
    // Open/close state, lock-free because MarkClosed runs under the connection's lock. The tasks are
    // made only when someone asks for them (replication never does): each publisher re-checks the
    // flags after publishing, so a transition and a first request racing each other still complete it.
    private const int OpenFlag = 1, ClosedFlag = 2, ReasonShift = 2; // the close reason sits above the flags
    private static readonly Task<bool> OpenedTask = Task.FromResult(true), NotOpenedTask = Task.FromResult(false);
    private int _flags;
    private TaskCompletionSource<bool>? _remoteOpened;
    private TaskCompletionSource<ChannelCloseReason>? _closed;
    private readonly byte[] _key;

    internal ProtocolChannel(ProtocolConnection connection, byte[] key, byte[] discoveryKey, ulong localId)
    {
        Connection = connection;
        _key = key;
        DiscoveryKey = discoveryKey;
        LocalId = localId;
    }

    public ProtocolConnection Connection { get; }

    /// <summary>The feed (public) key. Never sent on the wire; it proves itself through the capability.</summary>
    public ReadOnlySpan<byte> Key => _key;

    internal byte[] KeyArray => _key;

    public byte[] DiscoveryKey { get; }

    /// <summary>Our id for this feed: the channel number in the headers of frames we send.</summary>
    public ulong LocalId { get; }

    /// <summary>The remote's id for this feed, once its verified Open has arrived.</summary>
    public ulong? RemoteId { get; internal set; }

    /// <summary>Completes with true when the remote's Open is verified, false if the channel closed first.</summary>
    public Task<bool> RemoteOpened
    {
        get
        {
            var flags = Volatile.Read(ref _flags);
            if ((flags & OpenFlag) != 0) return OpenedTask;
            if ((flags & ClosedFlag) != 0) return NotOpenedTask;
            var tcs = Publish(ref _remoteOpened);
            CompleteRemoteOpened(tcs);
            return tcs.Task;
        }
    }

    public bool IsRemoteOpen => (Volatile.Read(ref _flags) & (OpenFlag | ClosedFlag)) == OpenFlag;

    public Task<ChannelCloseReason> Closed
    {
        get
        {
            var tcs = Publish(ref _closed);
            CompleteClosed(tcs);
            return tcs.Task;
        }
    }

    public bool IsClosed => (Volatile.Read(ref _flags) & ClosedFlag) != 0;

    /// <summary>
    /// Messages from the remote for this feed: Options, Status, Have, Unhave, Want, Unwant, Request,
    /// Cancel, Data. Unbounded (as in JS), so read it promptly. Not available once a handler is attached.
    /// </summary>
    public ChannelReader<IMessage> Messages
    {
        get
        {
            lock (this)
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
        lock (this)
        {
            if (_handler is not null || _inbox is not null) throw new InvalidOperationException("This channel already has a consumer.");
            Volatile.Write(ref _handler, handler);
        }
        TryStart();
        if (IsClosed) DeliverClose();
    }

    /// <summary>The remote's latest Options on this channel (extensions and the ack flag), if any.</summary>
    public Options? RemoteOptions { get; internal set; }

    /// <summary>Extension names the remote announced on this channel.</summary>
    public IReadOnlyList<string> RemoteExtensions => Connection.RemoteExtensionsOf(this);

    /// <summary>
    /// The ack flag of our Options ("acknowledge every block I send"). Setting it re-announces Options
    /// once the channel is open both ways. Cabal leaves it false.
    /// </summary>
    public bool RequestAcks
    {
        get => Connection.GetRequestAcks(this);
        set => Connection.SetRequestAcks(this, value);
    }

    internal bool LocalAck { get; set; }
    internal Internal.ExtensionRegistry Extensions { get; } = new();
    internal int AnnouncedVersion { get; set; } = -1;
    internal bool AnnouncedAck { get; set; }

    /// <summary>
    /// Queues a message (Status, Have, Unhave, Want, Unwant, Request, Cancel or Data) without blocking;
    /// false if the channel is closed. The message must not be modified afterwards. JS peers drop
    /// messages for feeds they have not opened, so wait for <see cref="RemoteOpened"/> first.
    /// </summary>
    public bool Send(IMessage message) => Connection.SendOnChannel(this, message);

    /// <summary>Like <see cref="Send"/>, then waits while the connection's send queue is over its bound.</summary>
    public async ValueTask<bool> SendAsync(IMessage message, CancellationToken cancellationToken = default)
    {
        if (!Send(message)) return false;
        await Connection.WaitForSendCapacityAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Registers a feed-level extension, at any time; the name list is (re-)announced in Options.</summary>
    public ProtocolExtension RegisterExtension(string name, ExtensionHandler handler)
        => Connection.RegisterChannelExtension(this, name, handler);

    /// <summary>Sends Close and forgets the channel. Idempotent.</summary>
    public void Close() => Connection.CloseChannel(this, ChannelCloseReason.LocalClose);

    /// <summary>Called by the connection's dispatch, one message at a time, in wire order.</summary>
    internal void Deliver(IMessage message)
    {
        lock (this)
        {
            if (_closeDelivered) return;
            if (_started) InvokeHandler(message);
            else if (_inbox is not null) _inbox.Writer.TryWrite(message);
            else (_early ??= []).Add(message);
        }
    }

    internal void MarkRemoteOpen()
    {
        // Only a channel that is still open can become open both ways.
        if (Interlocked.CompareExchange(ref _flags, OpenFlag, 0) != 0) return;
        if (Volatile.Read(ref _remoteOpened) is { } tcs) CompleteRemoteOpened(tcs);
        TryStart();
    }

    /// <summary>Called under the connection's lock: the handler hears of it later, on the thread pool.</summary>
    internal void MarkClosed(ChannelCloseReason reason)
    {
        int flags;
        do
        {
            flags = Volatile.Read(ref _flags);
            if ((flags & ClosedFlag) != 0) return; // the first reason stays
        }
        while (Interlocked.CompareExchange(ref _flags, flags | ClosedFlag | ((int)reason << ReasonShift), flags) != flags);
        if (Volatile.Read(ref _remoteOpened) is { } opened) CompleteRemoteOpened(opened);
        if (Volatile.Read(ref _closed) is { } closed) CompleteClosed(closed);
        Volatile.Read(ref _inbox)?.Writer.TryComplete(); // no lock here: the caller holds the connection's
        if (Volatile.Read(ref _handler) is not null)
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.DeliverClose(), this, preferLocal: false);
    }

    private ChannelCloseReason CloseReason => (ChannelCloseReason)(Volatile.Read(ref _flags) >> ReasonShift);

    private static TaskCompletionSource<T> Publish<T>(ref TaskCompletionSource<T>? field)
        => Volatile.Read(ref field)
           ?? Interlocked.CompareExchange(ref field, new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), null)
           ?? field!;

    private void CompleteRemoteOpened(TaskCompletionSource<bool> tcs)
    {
        var flags = Volatile.Read(ref _flags);
        if ((flags & OpenFlag) != 0) tcs.TrySetResult(true);
        else if ((flags & ClosedFlag) != 0) tcs.TrySetResult(false);
    }

    private void CompleteClosed(TaskCompletionSource<ChannelCloseReason> tcs)
    {
        if (IsClosed) tcs.TrySetResult(CloseReason);
    }

    private void TryStart()
    {
        lock (this)
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
        lock (this)
        {
            if (_closeDelivered || _handler is not { } handler) return;
            _closeDelivered = true;
            _early = null;
            try { handler.OnClosed(CloseReason); }
            catch (Exception e) { Connection.OnChannelHandlerFailed(this, e); }
        }
    }

    // Caller holds lock (this) and has checked _started.
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

    public override string ToString() => $"Channel {LocalId} ({Convert.ToHexStringLower(DiscoveryKey)[..8]}…)";
}
