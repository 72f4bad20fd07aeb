// The four MULTIFEED_* messages (spec/cabal.md §2.5–§2.7, §2.9). Every request for a key we offered
// is honoured; offered keys are requested as admission allows (MultifeedSession.Admission.cs).
using Cabal.Net;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSession
{
    // Worker-only state (see the threading note in MultifeedSession.cs).
    private readonly HashSet<string> _localOffer = new(StringComparer.Ordinal);
    private readonly HashSet<string> _remoteOffer = new(StringComparer.Ordinal);
    private readonly HashSet<string> _requested = new(StringComparer.Ordinal);
    private readonly List<string> _announce = [];
    private bool _handshakeSent;
    private bool _remoteReady;
    private int _manifestReceived;   // read by sync reports from any thread
    private int _requestsOutstanding; // our REQUEST_FEEDS not yet answered by a REPLICATE_FEEDS
    private int _creationsFailed;     // agreed feeds the store failed to create, waiting for a retry

    private void SendHandshake()
    {
        _handshakeSent = true;
        _handshakeExt.Send(MultifeedWire.WriteHandshake(Random.Shared.Next(0x1000).ToString("x", System.Globalization.CultureInfo.InvariantCulture)));
    }

    private void OnHandshake(ReadOnlySpan<byte> body)
    {
        MultifeedWire.CheckHandshake(body);
        if (_remoteReady) return; // multifeed becomes ready once
        _remoteReady = true;

        var feeds = _set.Feeds;
        var sync = _syncExt is { RemoteSupports: true };
        // The lengths go out before the manifest, so the remote has them before any REQUEST or
        // REPLICATE of ours makes it decide which channels to open.
        if (sync) _syncExt!.Send(SyncWire.Write(feeds));
        var keys = new List<string>(feeds.Count);
        foreach (var f in feeds) if (_set.Allowed(f.KeyHex) && _localOffer.Add(f.KeyHex)) keys.Add(f.KeyHex);
        MultifeedLog.SessionReady(_logger, PeerLabel, keys.Count, sync);
        SendManifest(keys);
        _ready.TrySetResult(true);
    }

    private void OnManifest(ReadOnlySpan<byte> body)
    {
        var keys = MultifeedWire.ReadManifest(body, _set.Options.MaxKeysPerMessage);
        var fresh = new List<string>(keys.Count);
        foreach (var k in keys)
        {
            if (!_remoteOffer.Add(k)) continue;
            if (_remoteOffer.Count > _set.Options.MaxKeysOfferedPerSession)
                throw new MultifeedProtocolException($"the remote offered more than {_set.Options.MaxKeysOfferedPerSession} feeds on one session");
            fresh.Add(k);
        }
        // multifeed answers every REQUEST_FEEDS with one REPLICATE_FEEDS, even an empty one.
        SendRequest(Admit(fresh));
        // Only now, with the request counted as outstanding: marked first, a sync report taken in
        // between saw a manifest received, nothing outstanding and no feed, and said "in sync" with
        // nothing stored (`cabal read` printed nothing and exited 0).
        Volatile.Write(ref _manifestReceived, 1);
    }

    private void SendRequest(List<string> request)
    {
        _requested.UnionWith(request);
        Interlocked.Increment(ref _requestsOutstanding);
        NoteRequested(request); // before the REQUEST goes out: the remote's Opens for these may follow at once
        _requestExt.Send(MultifeedWire.WriteKeyArray(request));
    }

    private void OnRequestFeeds(ReadOnlySpan<byte> body)
    {
        var keys = MultifeedWire.ReadKeyArray(body, _set.Options.MaxKeysPerMessage, "request");
        var granted = new SortedSet<string>(StringComparer.Ordinal);
        var refused = 0;
        foreach (var k in keys)
        {
            if (_localOffer.Contains(k) && _set.Allowed(k)) granted.Add(k);
            else refused++;
        }
        if (refused > 0) MultifeedLog.UnofferedRequest(_logger, PeerLabel, refused);
        _replicateExt.Send(MultifeedWire.WriteKeyArray(granted));
        var feeds = new List<Feed>(granted.Count);
        foreach (var k in granted) if (_set.TryGet(k) is { } f) feeds.Add(f);
        StartReplicating(feeds);
    }

    private async Task OnReplicateFeedsAsync(ReadOnlyMemory<byte> payload)
    {
        var body = payload.Span;
        var keys = MultifeedWire.ReadKeyArray(body, _set.Options.MaxKeysPerMessage, "replicate");
        var accepted = new List<string>(keys.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in keys) if (_requested.Contains(k) && _set.Allowed(k) && seen.Add(k)) accepted.Add(k);
        // Feeds the set holds replicate at once; new ones are probed and stored once they show data.
        await ReplicateOrProbeAsync(accepted).ConfigureAwait(false);
        // Answered: its feeds have channels now. Never below zero, should a remote send one unasked.
        var n = Volatile.Read(ref _requestsOutstanding);
        while (n > 0 && Interlocked.CompareExchange(ref _requestsOutstanding, n - 1, n) != n) n = Volatile.Read(ref _requestsOutstanding);
    }

    /// <summary>A feed joined the set (any thread): offer it here unless this session already knows it (§2.9).</summary>
    internal void OnFeedAdded(Feed feed) => Post(new Work(WorkKind.FeedAdded, Feed: feed));

    private void OnFeedAddedWork(Feed feed)
    {
        // Stored meanwhile (data shown on another session): this session's probe hands its channel over.
        if (_requested.Contains(feed.KeyHex) && !_agreed.Contains(feed.KeyHex)
            && Replication.Probes.Any(p => p.KeyHex == feed.KeyHex)) StartReplicating([feed], adopt: true);
        // Before the remote is ready the initial manifest, built from the set then, will carry it.
        if (!_remoteReady || _remoteOffer.Contains(feed.KeyHex) || !_set.Allowed(feed.KeyHex) || !_localOffer.Add(feed.KeyHex)) return;
        _announce.Add(feed.KeyHex);
    }

    /// <summary>Sends the feeds that joined during one batch of work as few MANIFESTs (multifeed sends one per feed).</summary>
    private void FlushAnnouncements()
    {
        if (_announce.Count == 0 || Volatile.Read(ref _ended) != 0) return;
        SendManifest(_announce);
        _announce.Clear();
    }

    private void SendManifest(List<string> keys)
    {
        var chunk = Math.Max(1, _set.Options.MaxKeysPerAnnouncement);
        if (keys.Count <= chunk) { _manifestExt.Send(MultifeedWire.WriteManifest(keys)); return; }
        for (var i = 0; i < keys.Count; i += chunk)
            _manifestExt.Send(MultifeedWire.WriteManifest(keys.GetRange(i, Math.Min(chunk, keys.Count - i))));
    }
}
