// Where this session stands on the way to "in sync", from protocol facts only: the remote's
// handshake, its MANIFEST, the answers to our REQUEST_FEEDS, and for every agreed feed the Have
// that says what the remote holds and the blocks stored since. No quiet periods: a remote that
// takes seconds to send its manifest is simply not in sync until it has, and everything it offered
// is stored.
using Cabal.Multifeed.Replication;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSession
{
    /// <summary>The connection or this session's worker has ended (any thread).</summary>
    public bool IsEnded => Volatile.Read(ref _ended) != 0 || Connection.IsEnded;

    /// <summary>A snapshot of this session's progress (any thread).</summary>
    public PeerSyncReport SyncReport()
    {
        // Read in the order the worker writes them backwards: the negotiation counters first, then the
        // probes, then the feed peers. A request is counted outstanding before the manifest is marked
        // received, its feeds are probed before it stops being outstanding, and a probe leaves the probe
        // list in the same step its peer joins the peer list; so a feed is never missed in between.
        var ready = Ready.IsCompletedSuccessfully && Ready.Result;
        var manifest = Volatile.Read(ref _manifestReceived) != 0;
        var negotiating = Volatile.Read(ref _requestsOutstanding) > 0 || Volatile.Read(ref _creationsFailed) > 0;
        var deferred = DeferredFeedCount;
        int awaitingLength = 0, missing = 0, closed = 0, empty = 0, probing = 0;
        foreach (var probe in Replication.Probes)
        {
            if (probe.IsAdopted) continue;
            // A probe whose channel closed before its data was stored is a feed this peer offered and
            // we did not get, as a FeedPeer closed before it was done: skipping it made a session cut
            // short (a duplicate connection closed, the remote left) look in sync with nothing stored.
            if (probe.IsClosed) { if (!probe.KnownEmpty) closed++; continue; }
            probing++;
            if (probe.KnownEmpty) empty++;
            else if (!probe.LengthKnown) awaitingLength++;
            else if (!_refused.ContainsKey(probe.KeyHex)) missing++; // shown data, being stored
        }
        PeerSyncStage stage;
        if (IsEnded) stage = PeerSyncStage.Ended;
        else if (!ready) stage = PeerSyncStage.Handshaking;
        else if (!manifest) stage = PeerSyncStage.AwaitingManifest;
        else if (negotiating || deferred > 0) stage = PeerSyncStage.AwaitingFeeds;
        else
        {
            foreach (var peer in Replication.Peers)
            {
                var state = peer.SyncState();
                if (!state.Started || !state.LengthKnown) awaitingLength++;
                else if (state.Missing) missing++;
                if (state.Closed && !state.Done) closed++;
            }
            stage = closed > 0 ? PeerSyncStage.Failed
                : awaitingLength > 0 ? PeerSyncStage.AwaitingLengths
                : missing > 0 ? PeerSyncStage.Downloading
                : PeerSyncStage.InSync;
        }
        return new PeerSyncReport(PeerLabel, RemotePeerId, stage, ActiveFeedCount + DormantFeedCount, awaitingLength, missing, closed)
        {
            FeedsEmptyNotStored = empty,
            FeedsProbing = probing,
            FeedsDeferred = deferred,
            FeedsRefused = RefusedFeedCount,
        };
    }
}

/// <summary>How far one peer's session has come (see <see cref="MultifeedSession.SyncReport"/>).</summary>
public enum PeerSyncStage
{
    /// <summary>The remote's multifeed handshake has not arrived.</summary>
    Handshaking,
    /// <summary>Handshaken; the remote's MANIFEST (its list of feeds) has not arrived.</summary>
    AwaitingManifest,
    /// <summary>We asked for the remote's feeds and its REPLICATE_FEEDS answer has not arrived, or new feeds it offered wait for its allowance.</summary>
    AwaitingFeeds,
    /// <summary>Some agreed feed's channel is not open both ways, or the remote has not said how much of it it holds.</summary>
    AwaitingLengths,
    /// <summary>The remote holds blocks not yet stored here.</summary>
    Downloading,
    /// <summary>A feed's channel closed before everything the remote held of it was stored (a fault, or it left).</summary>
    Failed,
    /// <summary>Everything the remote offered is stored here.</summary>
    InSync,
    /// <summary>The connection has ended: whatever it had not delivered will not come from it.</summary>
    Ended,
}

/// <param name="Peer">The remote's Noise key, shortened (or "(handshaking)").</param>
/// <param name="PeerId">The remote user's writer key from its peer-id message, once received.</param>
/// <param name="FeedsAgreed">Feeds replicated on this session (dormant ones included).</param>
/// <param name="FeedsAwaitingLength">Feeds whose remote length is not known yet.</param>
/// <param name="FeedsMissingBlocks">Feeds of which the remote holds blocks not stored here yet.</param>
/// <param name="FeedsFailed">Feeds whose channel closed with blocks left to fetch.</param>
public sealed record PeerSyncReport(string Peer, string? PeerId, PeerSyncStage Stage, int FeedsAgreed, int FeedsAwaitingLength, int FeedsMissingBlocks, int FeedsFailed)
{
    public bool InSync => Stage == PeerSyncStage.InSync;

    /// <summary>New feeds the remote offered that it holds empty: watched on their channels, not stored.</summary>
    public int FeedsEmptyNotStored { get; init; }

    /// <summary>New feeds watched on their channels, not stored (empty, length not known yet, or refused).</summary>
    public int FeedsProbing { get; init; }

    /// <summary>New feeds the remote offered beyond its allowance (MultifeedOptions.NewFeedsPerMinute), not requested yet.</summary>
    public int FeedsDeferred { get; init; }

    /// <summary>New feeds with data that admission did not store (a cap, or lockdown).</summary>
    public int FeedsRefused { get; init; }

    public override string ToString() => Stage switch
    {
        PeerSyncStage.Handshaking => $"{Peer}: connected, multifeed handshake not received",
        PeerSyncStage.AwaitingManifest => $"{Peer}: handshake done, its feed list (manifest) not received",
        PeerSyncStage.AwaitingFeeds when FeedsDeferred > 0 => $"{Peer}: {FeedsDeferred} offered feeds wait for its new-feed allowance",
        PeerSyncStage.AwaitingFeeds => $"{Peer}: feed list received, waiting for it to confirm the feeds to replicate",
        PeerSyncStage.AwaitingLengths => $"{Peer}: {FeedsAwaitingLength} of {FeedsAgreed} feeds without a known remote length",
        PeerSyncStage.Downloading => $"{Peer}: {FeedsMissingBlocks} of {FeedsAgreed} feeds still downloading",
        PeerSyncStage.Failed => $"{Peer}: {FeedsFailed} of {FeedsAgreed} feeds failed before completing",
        PeerSyncStage.Ended => $"{Peer}: connection ended",
        _ => $"{Peer}: in sync ({FeedsAgreed} feeds)",
    };
}
