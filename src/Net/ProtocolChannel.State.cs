// A channel's open/close state. Lock-free, because MarkClosed runs under the connection's lock and
// the dispatch side holds the channel's own lock while calling handlers that send (which takes the
// connection's lock): a lock here would invert that order.
namespace Cabal.Net;

public sealed partial class ProtocolChannel
{
    // The tasks are made only when someone asks for them (replication never does): each publisher
    // re-checks the flags after publishing, so a transition and a first request racing each other
    // still complete it.
    private const int OpenFlag = 1, ClosedFlag = 2, ReasonShift = 2; // the close reason sits above the flags
    private static readonly Task<bool> OpenedTask = Task.FromResult(true), NotOpenedTask = Task.FromResult(false);
    private int _flags;
    private TaskCompletionSource<bool>? _remoteOpened;
    private TaskCompletionSource<ChannelCloseReason>? _closed;

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
}
