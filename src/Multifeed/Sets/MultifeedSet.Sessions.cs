using Cabal.Net;

namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSet
{
    private readonly List<MultifeedSession> _sessions = [];
    private readonly Lock _sessionsLock = new();
    private MultifeedSession[] _sessionSnapshot = [];

    /// <summary>The sessions currently running (one per connection).</summary>
    public IReadOnlyList<MultifeedSession> Sessions => Volatile.Read(ref _sessionSnapshot);

    /// <summary>
    /// Runs multifeed replication of this set over <paramref name="connection"/>, which must not have
    /// been started: the root channel, the extensions and the peer-id announcement are queued first,
    /// as multifeed and cabal-core do, then the connection is started unless
    /// <paramref name="startConnection"/> is false (then the caller calls Start). Returns at once; the
    /// negotiation runs in the background and the session ends with the connection.
    /// </summary>
    public MultifeedSession Replicate(ProtocolConnection connection, bool startConnection = true)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var session = new MultifeedSession(this, connection);
        lock (_sessionsLock)
        {
            _sessions.Add(session);
            Volatile.Write(ref _sessionSnapshot, [.. _sessions]);
        }
        session.Begin();
        if (startConnection) connection.Start();
        return session;
    }

    internal void Remove(MultifeedSession session)
    {
        lock (_sessionsLock)
        {
            if (_sessions.Remove(session)) Volatile.Write(ref _sessionSnapshot, [.. _sessions]);
        }
    }

    private MultifeedSession[] SessionSnapshot() => Volatile.Read(ref _sessionSnapshot);
}
