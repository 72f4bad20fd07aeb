// One multifeed 6 replication session: the multiplexer of multifeed/mux.js plus the wiring of
// multifeed's replicate() and cabal-core's swarm.js, over one ProtocolConnection (spec/cabal.md §2.4).
//
// Threading: extension handlers and DiscoveryKey run on the connection's receive loop and must not
// block, so they only validate what is cheap and post work to a per-session queue. One worker
// drains it in order, so all negotiation state (offers, requests, agreed feeds) is single-threaded
// and the caller's thread never does any of it. Feed events from other threads are posted the same way.
//
// Structure (partial class by concern):
//   MultifeedSession.cs             lifecycle, the work queue, ending
//   MultifeedSession.Negotiation.cs HANDSHAKE, MANIFEST, REQUEST_FEEDS, REPLICATE_FEEDS, live offers
//   MultifeedSession.Channels.cs    opening feed channels, and leaving unchanged ones unopened (sync)
//   MultifeedSession.PeerId.cs      cabal-core's peer-id extension
//   MultifeedSession.Sync.cs        how far the session is from "in sync", from protocol facts
//   MultifeedSession.Limits.cs      handshake deadline, unknown-feed Opens (hostile peers)
//   MultifeedSession.Policy.cs      the replication policy: refused feeds stopped, allowed ones offered again
//   MultifeedSession.Admission.cs   new feeds: the remote's allowance, probing, storing once they show data
using System.Threading.Channels;
using Cabal.Multifeed.Replication;
using Cabal.Net;
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSession : IAsyncDisposable
{
    private enum WorkKind { RootOpened, Handshake, Manifest, RequestFeeds, ReplicateFeeds, Sync, RemoteOpen, FeedAdded, FeedGrew, Reconsider, Refill, Promote }

    private readonly record struct Work(WorkKind Kind, ReadOnlyMemory<byte> Payload = default, Feed? Feed = null, byte[]? DiscoveryKey = null, List<string>? Keys = null);

    private readonly MultifeedSet _set;
    private readonly ILogger _logger;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ProtocolChannel _root = null!;
    private ProtocolExtension _handshakeExt = null!, _manifestExt = null!, _requestExt = null!, _replicateExt = null!;
    private ProtocolExtension? _syncExt, _peerIdExt;
    private string? _endReason;
    private int _ended;

    internal MultifeedSession(MultifeedSet set, ProtocolConnection connection)
    {
        _set = set;
        Connection = connection;
        _logger = set.Options.LoggerFactory.CreateLogger<MultifeedSession>();
        Replication = new ReplicationSession(set.Replicator, connection, (set.Options.Replication ?? set.Replicator.Options) with { LoggerFactory = set.Options.LoggerFactory }, acceptRemoteFeeds: false)
        {
            Progress = set.SignalSyncProgress,
        };
    }

    public MultifeedSet Set => _set;

    public ProtocolConnection Connection { get; }

    /// <summary>The hypercore replication of this session's feeds (one FeedPeer per opened feed).</summary>
    public ReplicationSession Replication { get; }

    /// <summary>Completes with true once the remote's HANDSHAKE was accepted, false if the session ended first.</summary>
    public Task<bool> Ready => _ready.Task;

    /// <summary>Completes when the session has ended (with its connection) and released everything.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why this side ended the session, if it did (a protocol violation by the remote).</summary>
    public string? EndReason => Volatile.Read(ref _endReason);

    private string PeerLabel => Connection.RemoteStaticKey is { } k ? Convert.ToHexStringLower(k.Span)[..16] : "(handshaking)";

    /// <summary>Registers extensions and opens the root channel, before the connection starts (mux.js order).</summary>
    internal void Begin()
    {
        Connection.DiscoveryKey += OnRemoteDiscoveryKey;
        _handshakeExt = Connection.RegisterExtension(MultifeedWire.Handshake, (_, p) =>
        {
            OnHandshakeArrived();
            Post(new Work(WorkKind.Handshake, p));
        });
        // The root channel first: its capability proves both sides know the cabal key (§2.3).
        _root = Connection.OpenChannel(_set.CabalKey);
        _manifestExt = Connection.RegisterExtension(MultifeedWire.Manifest, (_, p) => Post(new Work(WorkKind.Manifest, p)));
        _requestExt = Connection.RegisterExtension(MultifeedWire.RequestFeeds, (_, p) => Post(new Work(WorkKind.RequestFeeds, p)));
        _replicateExt = Connection.RegisterExtension(MultifeedWire.ReplicateFeeds, (_, p) => Post(new Work(WorkKind.ReplicateFeeds, p)));
        if (_set.Options.SkipUnchangedFeeds)
            _syncExt = Connection.RegisterExtension(SyncWire.Name, (_, p) => Post(new Work(WorkKind.Sync, p)));
        if (_set.Options.AnnouncePeerId) RegisterPeerId();

        _root.RemoteOpened.ContinueWith(t => { if (t.Result) Post(new Work(WorkKind.RootOpened)); }, TaskScheduler.Default);
        _root.Closed.ContinueWith(t =>
        {
            if (t.Result == ChannelCloseReason.CapabilityMismatch) End("the remote's root channel capability does not match: it does not know this cabal's key");
        }, TaskScheduler.Default);
        _ = DrainRootAsync();
        StartLimits();
        Connection.Completion.ContinueWith(_ =>
        {
            _work.Writer.TryComplete();
            _stop.Cancel(); // abandons a creation of remote feeds still under way
        }, TaskScheduler.Default);
        _ = RunAsync();
    }

    // The root channel carries no feed; whatever a remote sends on it is read and dropped so it cannot pile up.
    private async Task DrainRootAsync()
    {
        var reader = _root.Messages;
        try { while (await reader.WaitToReadAsync().ConfigureAwait(false)) while (reader.TryRead(out _)) { } }
        catch (Exception e) when (e is not OutOfMemoryException) { }
    }

    private void Post(Work work) => _work.Writer.TryWrite(work);

    private void OnRemoteDiscoveryKey(object? sender, DiscoveryKeyEventArgs e)
    {
        // multifeed: the first key the remote opens must be the shared one ("Exchange key did not match remote").
        if (!(_root.RemoteOpened.IsCompletedSuccessfully && _root.RemoteOpened.Result))
        {
            End("the first channel the remote opened is not this cabal's root channel (a different cabal key?)");
            return;
        }
        if (!AdmitRemoteOpen(e.DiscoveryKey)) return;
        // A dormant feed wakes; an agreed one whose channel closed here re-opens (MultifeedSession.Policy.cs).
        Post(new Work(WorkKind.RemoteOpen, DiscoveryKey: e.DiscoveryKey));
    }

    private async Task RunAsync()
    {
        var reader = _work.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var work))
                {
                    if (Volatile.Read(ref _ended) != 0) break;
                    await HandleAsync(work).ConfigureAwait(false);
                }
                FlushAnnouncements();
                _set.SignalSyncProgress(); // a manifest, an answer, a feed stored: this session's report may have changed
            }
        }
        catch (MultifeedProtocolException e) { End(e.Message); }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception e)
        {
            MultifeedLog.SessionFailed(_logger, PeerLabel, e);
            End("internal error: " + e.Message);
        }
        finally
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    private ValueTask HandleAsync(Work work)
    {
        // The root Open and the first extension from the remote may be seen in either order here:
        // the handshake goes out as soon as the root channel is open both ways, whichever comes first.
        if (!_handshakeSent && _root.IsRemoteOpen) SendHandshake();
        switch (work.Kind)
        {
            case WorkKind.RootOpened: break;
            case WorkKind.Handshake: OnHandshake(work.Payload.Span); break;
            case WorkKind.Manifest: OnManifest(work.Payload.Span); break;
            case WorkKind.RequestFeeds: OnRequestFeeds(work.Payload.Span); break;
            case WorkKind.ReplicateFeeds: return new ValueTask(OnReplicateFeedsAsync(work.Payload));
            case WorkKind.Sync: OnSync(work.Payload.Span); break;
            case WorkKind.RemoteOpen: OnRemoteOpen(work.DiscoveryKey!); break;
            case WorkKind.FeedAdded: OnFeedAddedWork(work.Feed!); break;
            case WorkKind.FeedGrew: Wake(work.Feed!); break;
            case WorkKind.Reconsider: OnReconsider(work.Keys!); break;
            case WorkKind.Refill: OnRefill(); break;
            case WorkKind.Promote: return new ValueTask(PromoteAsync(work.Keys![0]));
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Ends the session and its connection because of the remote, with a logged reason.</summary>
    private void End(string reason)
    {
        if (Interlocked.CompareExchange(ref _endReason, reason, null) is not null) return;
        MultifeedLog.SessionEnded(_logger, PeerLabel, reason);
        Connection.Abort(new MultifeedProtocolException(reason));
    }

    private async Task FinishAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        Connection.DiscoveryKey -= OnRemoteDiscoveryKey;
        _ready.TrySetResult(false);
        _set.Remove(this);
        _set.SignalSyncProgress();
        // The worker may have stopped on a protocol error while the connection still runs.
        if (!Connection.IsEnded) Connection.Abort(EndReason is { } r ? new MultifeedProtocolException(r) : null);
        try { await Replication.DisposeAsync().ConfigureAwait(false); }
        catch (Exception e) { MultifeedLog.SessionFailed(_logger, PeerLabel, e); }
        _dormant.Clear();
        _completion.TrySetResult();
    }

    /// <summary>Ends the connection and waits until the session has released everything.</summary>
    public async ValueTask DisposeAsync()
    {
        Connection.Abort();
        _work.Writer.TryComplete();
        await Completion.ConfigureAwait(false);
    }
}
