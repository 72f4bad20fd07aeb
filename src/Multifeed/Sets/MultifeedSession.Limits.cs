// Bounds on what one remote can make a session hold (issue 20, defects 2, 4 and 5):
//   * frames stay small (ProtocolConnection.SmallFramesOnly) until the remote's HANDSHAKE: before
//     it an honest peer sends only the root Open, Options and its handshake;
//   * a multifeed-handshake deadline: a connection that opens the cabal and then only pings used to
//     hold a slot for ever; now it has HandshakeTimeout to send its HANDSHAKE;
//   * unknown-feed Opens: an Open for a feed that is neither in the cabal nor requested on this
//     session is declined at once (so it holds nothing) and counted; past MaxUnknownOpens the
//     remote is cut off.
// Over a limit the connection ends with a PeerAbuseException (whoever admitted it backs the address
// off); feeds the remote already sent stay in the cabal.
using System.Collections.Concurrent;
using Cabal.Multifeed.Replication;
using Cabal.Net;
using Cabal.Net.Crypto;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSession
{
    private readonly ConcurrentDictionary<Key32, byte> _requestedDiscoveryKeys = new();
    private int _unknownOpens;

    /// <summary>Opens the remote sent for feeds neither in the cabal nor requested here (each declined).</summary>
    public int UnknownOpenCount => Volatile.Read(ref _unknownOpens);

    /// <summary>Starts the multifeed-handshake deadline (from Begin, before the connection starts).</summary>
    private void StartLimits()
    {
        Connection.SmallFramesOnly = true;
        var timeout = _set.Options.HandshakeTimeout;
        if (timeout == Timeout.InfiniteTimeSpan) return;
        var timer = _set.Options.TimeProvider.CreateTimer(static state =>
        {
            var session = (MultifeedSession)state!;
            if (!session._ready.Task.IsCompleted)
                session.EndForAbuse($"no multifeed handshake within {session._set.Options.HandshakeTimeout.TotalSeconds:0.#} s");
        }, this, timeout, Timeout.InfiniteTimeSpan);
        _ = _ready.Task.ContinueWith(_ => timer.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The remote's HANDSHAKE is being received (receive loop): its MANIFEST, possibly megabytes, may follow at once.</summary>
    private void OnHandshakeArrived() => Connection.SmallFramesOnly = false;

    /// <summary>Remembers the discovery keys of feeds requested here: the remote's Opens for them are expected (worker).</summary>
    private void NoteRequested(List<string> keys)
    {
        foreach (var k in keys) _requestedDiscoveryKeys.TryAdd(new Key32(HypercoreCrypto.DiscoveryKey(Convert.FromHexString(k))), 0);
    }

    /// <summary>
    /// An Open for a feed we have not opened (receive loop): true if it is expected. An unexpected one
    /// is declined and counted, and one too many ends the session.
    /// </summary>
    private bool AdmitRemoteOpen(byte[] discoveryKey)
    {
        var feed = _set.Store.TryGetByDiscoveryKey(discoveryKey);
        if (feed is not null && !_set.Allowed(feed.KeyHex))
        {
            // Blocked or removed here: declined, but not held against an honest remote that agreed it before.
            MultifeedLog.OpenRefused(_logger, feed.KeyHex);
            Connection.RejectChannel(discoveryKey);
            return false;
        }
        if (_requestedDiscoveryKeys.ContainsKey(new Key32(discoveryKey))) return true;
        if (feed is not null && _set.TryGet(feed.KeyHex) is not null) return true;
        Connection.RejectChannel(discoveryKey);
        var count = Interlocked.Increment(ref _unknownOpens);
        if (count > _set.Options.MaxUnknownOpens)
            EndForAbuse($"the remote opened more than {_set.Options.MaxUnknownOpens} feeds that are not in this cabal");
        return false;
    }

    /// <summary>Ends the session and its connection because the remote went over a limit (logged).</summary>
    private void EndForAbuse(string reason)
    {
        if (Interlocked.CompareExchange(ref _endReason, reason, null) is not null) return;
        MultifeedLog.SessionEnded(_logger, PeerLabel, reason);
        Connection.Abort(new PeerAbuseException(reason));
    }
}
