// Entry point of replication for a FeedStore: one FeedHub per feed (shared by all connections)
// and a FeedPeer per feed per connection. A background tick checks request timeouts.
using System.Collections.Concurrent;
using Cabal.Multifeed.Storage;
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Replication;

public sealed class Replicator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Feed, FeedHub> _hubs = new(ReferenceEqualityComparer.Instance);
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;

    public Replicator(FeedStore store, ReplicationOptions? options = null)
    {
        Store = store;
        Options = options ?? new ReplicationOptions();
        _logger = Options.LoggerFactory.CreateLogger<Replicator>();
        store.FeedAppended += OnFeedAppended;
        store.FeedRemoved += OnFeedRemoved;
        _ticker = TickAsync(_stop.Token);
    }

    private void OnFeedAppended(object? sender, FeedAppendedEventArgs e)
    {
        if (sender is Feed feed && _hubs.TryGetValue(feed, out var hub)) hub.OnAppended(e);
    }

    // A removed feed's hub goes with it (its peers were stopped by the sets replicating it).
    private void OnFeedRemoved(Feed feed) => _hubs.TryRemove(feed, out _);

    public FeedStore Store { get; }

    public ReplicationOptions Options { get; }

    /// <summary>The shared replication state of <paramref name="feed"/> (acks, peers, reservations).</summary>
    public FeedHub Hub(Feed feed) => _hubs.GetOrAdd(feed, f => new FeedHub(f));

    /// <summary>
    /// Creates the state machine for <paramref name="feed"/> on one channel. Call <see cref="FeedPeer.Start"/>
    /// once both sides have opened the channel, route the channel's messages to
    /// <see cref="FeedPeer.OnMessage"/>, and call <see cref="FeedPeer.OnClosed"/> when it closes.
    /// </summary>
    public FeedPeer Attach(Feed feed, IFeedChannel channel, ReplicationOptions? options = null, RequestBudget? budget = null)
        => new(Hub(feed), channel, options ?? Options, _logger, budget);

    private async Task TickAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
                foreach (var hub in _hubs.Values)
                    foreach (var peer in hub.Peers) peer.CheckTimeouts();
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        Store.FeedAppended -= OnFeedAppended;
        Store.FeedRemoved -= OnFeedRemoved;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _ticker.ConfigureAwait(false);
        _stop.Dispose();
    }
}
