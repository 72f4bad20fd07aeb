// Event fan-out. Each subscriber has its own bounded queue that drops the oldest event when full,
// so a slow consumer can never stall the indexer (which publishes right after its commits).
using System.Threading.Channels;

namespace Cabal.Chat.Events;

/// <summary>A live feed of <see cref="CabalEvent"/>s; dispose to stop receiving.</summary>
public sealed class CabalSubscription : IDisposable
{
    private readonly EventHub _hub;
    internal readonly Channel<CabalEvent> Queue;

    internal CabalSubscription(EventHub hub, int capacity)
    {
        _hub = hub;
        Queue = Channel.CreateBounded<CabalEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = false, SingleWriter = true,
        }, _ => Interlocked.Increment(ref _dropped));
    }

    private long _dropped;

    /// <summary>Events dropped because this subscriber fell behind by more than its capacity.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public ChannelReader<CabalEvent> Reader => Queue.Reader;

    public IAsyncEnumerable<CabalEvent> ReadAllAsync(CancellationToken cancellationToken = default) => Queue.Reader.ReadAllAsync(cancellationToken);

    public void Dispose()
    {
        _hub.Remove(this);
        Queue.Writer.TryComplete();
    }
}

internal sealed class EventHub
{
    private volatile CabalSubscription[] _subscribers = [];
    private readonly Lock _lock = new();

    public CabalSubscription Add(int capacity)
    {
        var s = new CabalSubscription(this, capacity);
        lock (_lock) _subscribers = [.. _subscribers, s];
        return s;
    }

    public void Remove(CabalSubscription s)
    {
        lock (_lock) _subscribers = _subscribers.Where(x => x != s).ToArray();
    }

    /// <summary>Called with every event before the subscribers get it, on the publishing thread (the core's own bookkeeping).</summary>
    public Action<CabalEvent>? Observer { get; set; }

    public void Publish(CabalEvent e)
    {
        Observer?.Invoke(e);
        foreach (var s in _subscribers) s.Queue.Writer.TryWrite(e);
    }

    public void CompleteAll()
    {
        CabalSubscription[] subs;
        lock (_lock) { subs = _subscribers; _subscribers = []; }
        foreach (var s in subs) s.Queue.Writer.TryComplete();
    }
}
