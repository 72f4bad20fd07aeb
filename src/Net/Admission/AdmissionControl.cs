// Admission before allocation (issue 20, defect 1): decides at accept, before any buffer or
// handshake state exists, whether an inbound connection may take a slot. Sans-IO: a state machine
// over addresses and an injected clock; the caller (AdmissionGate, on a listener's accept loop)
// closes sockets and connections when told to.
//
// Why these rules:
//   * Per-address and per-prefix (/24, /64) limits on pending and established connections: one
//     host, or one customer's block of addresses, cannot take all the slots.
//   * Fair pending slots: when all are taken, a newcomer whose prefix holds fewer of them than the
//     busiest prefix evicts that prefix's oldest pending connection. A flood from one place then
//     only ever competes with itself.
//   * A pending deadline that shrinks with load (PendingTimeout down to MinPendingTimeout): silent
//     connections are cheap to open, so under pressure they must be cheap to drop too.
//   * A penalty box: an address whose connection ended for abuse (PeerAbuseException) is refused for
//     Penalty, doubled at each repeat up to MaxPenalty, so reopening at once gains nothing.
using System.Net;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Admission;

public sealed class AdmissionControl
{
    private sealed class Counts
    {
        public int Pending;
        public int Established;
    }

    private readonly Lock _gate = new();
    private readonly AdmissionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Dictionary<IPAddress, Counts> _byAddress = [];
    private readonly Dictionary<UInt128, Counts> _byPrefix = [];
    private readonly LinkedList<AdmissionTicket> _pending = new(); // oldest first
    private readonly PenaltyBox _penalties;
    private int _established;
    private long _admitted, _refused, _evicted, _expired, _abusive;

    public AdmissionControl(AdmissionOptions? options = null)
    {
        _options = options ?? new AdmissionOptions();
        _options.Validate();
        _time = _options.TimeProvider;
        _log = _options.LoggerFactory.CreateLogger<AdmissionControl>();
        _penalties = new PenaltyBox(_options);
    }

    public AdmissionOptions Options => _options;

    /// <summary>Connections let in and not established yet (expired ones included until they end).</summary>
    public int PendingCount { get { lock (_gate) return _pending.Count; } }

    /// <summary>Established connections still open.</summary>
    public int EstablishedCount { get { lock (_gate) return _established; } }

    /// <summary>Connections let in so far.</summary>
    public long AdmittedCount => Interlocked.Read(ref _admitted);

    /// <summary>Connections refused at accept so far (any <see cref="AdmissionRefusal"/>).</summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>Pending connections closed to make room for another source.</summary>
    public long EvictedCount => Interlocked.Read(ref _evicted);

    /// <summary>Pending connections closed because their deadline passed.</summary>
    public long ExpiredCount => Interlocked.Read(ref _expired);

    /// <summary>Connections that ended with a <see cref="PeerAbuseException"/> (their address was penalized).</summary>
    public long AbusiveCount => Interlocked.Read(ref _abusive);

    /// <summary>The deadline a pending connection has at the current load.</summary>
    public TimeSpan PendingTimeout { get { lock (_gate) return PendingTimeoutLocked(); } }

    /// <summary>Decides on a connection from <paramref name="address"/>; see <see cref="AdmissionDecision"/>.</summary>
    public AdmissionDecision TryAdmit(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = SourcePrefix.Normalize(address);
        var prefix = SourcePrefix.Of(address);
        AdmissionDecision decision;
        lock (_gate) decision = TryAdmitLocked(address, prefix);
        if (decision.Admitted)
        {
            Interlocked.Increment(ref _admitted);
            if (decision.Evicted is { } victim)
            {
                Interlocked.Increment(ref _evicted);
                AdmissionLog.Evicted(_log, victim.Address, address);
            }
        }
        else
        {
            Interlocked.Increment(ref _refused);
            AdmissionLog.Refused(_log, address, decision.Refusal);
        }
        return decision;
    }

    /// <summary>
    /// Whether <paramref name="address"/> would be refused now for its own sake (penalty box, its
    /// address's or prefix's share taken), without taking a slot or evicting anyone: a cheap look
    /// before costly work (a Noise message to decrypt) that <see cref="TryAdmit"/> then confirms.
    /// A refusal is counted and logged as <see cref="TryAdmit"/>'s are.
    /// </summary>
    public AdmissionRefusal Check(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = SourcePrefix.Normalize(address);
        var prefix = SourcePrefix.Of(address);
        AdmissionRefusal refusal;
        lock (_gate) refusal = RefusalLocked(address, prefix, _time.GetTimestamp(), out _, out _);
        if (refusal != AdmissionRefusal.None)
        {
            Interlocked.Increment(ref _refused);
            AdmissionLog.Refused(_log, address, refusal);
        }
        return refusal;
    }

    private AdmissionDecision TryAdmitLocked(IPAddress address, UInt128 prefix)
    {
        var now = _time.GetTimestamp();
        var refusal = RefusalLocked(address, prefix, now, out _, out var byPrefix);
        if (refusal != AdmissionRefusal.None) return Refuse(refusal);

        AdmissionTicket? victim = null;
        if (_pending.Count >= _options.MaxPending)
        {
            victim = FindVictimLocked(byPrefix?.Pending ?? 0);
            if (victim is null) return Refuse(AdmissionRefusal.Full);
            RemovePendingLocked(victim, AdmissionState.Evicted);
        }

        var ticket = new AdmissionTicket(address, prefix, now);
        ticket.PendingNode = _pending.AddLast(ticket);
        CountsOf(_byAddress, address).Pending++;
        CountsOf(_byPrefix, prefix).Pending++;
        return new AdmissionDecision(ticket, AdmissionRefusal.None, victim);

        static AdmissionDecision Refuse(AdmissionRefusal why) => new(null, why, null);
    }

    /// <summary>The address's own reasons for refusal (penalty, its or its prefix's share), before the global pending limit.</summary>
    private AdmissionRefusal RefusalLocked(IPAddress address, UInt128 prefix, long now, out Counts? byAddress, out Counts? byPrefix)
    {
        byAddress = _byAddress.GetValueOrDefault(address);
        byPrefix = _byPrefix.GetValueOrDefault(prefix);
        if (_penalties.IsPenalized(address, now)) return AdmissionRefusal.Penalized;
        if (byAddress?.Established >= _options.MaxEstablishedPerAddress) return AdmissionRefusal.AddressEstablished;
        if (byPrefix?.Established >= _options.MaxEstablishedPerPrefix) return AdmissionRefusal.PrefixEstablished;
        if (byAddress?.Pending >= _options.MaxPendingPerAddress) return AdmissionRefusal.AddressPending;
        if (byPrefix?.Pending >= _options.MaxPendingPerPrefix) return AdmissionRefusal.PrefixPending;
        return AdmissionRefusal.None;
    }

    /// <summary>
    /// The oldest pending ticket of the prefix holding the most pending slots, if that is at least two
    /// more than the newcomer's prefix holds (so the newcomer, once in, still holds fewer): taking a
    /// slot from an equal would just move the unfairness around.
    /// </summary>
    private AdmissionTicket? FindVictimLocked(int newcomerPrefixPending)
    {
        UInt128? busiest = null;
        var most = 0;
        foreach (var (prefix, counts) in _byPrefix)
            if (counts.Pending > most) { most = counts.Pending; busiest = prefix; }
        if (busiest is not { } target || most < newcomerPrefixPending + 2) return null;
        for (var node = _pending.First; node is not null; node = node.Next)
            if (node.Value.Prefix == target && node.Value.State == AdmissionState.Pending) return node.Value;
        return null; // only expired ones left there: they are on their way out already
    }

    /// <summary>
    /// Moves a pending ticket to established. False when its address or prefix holds its share of
    /// established connections already (or the ticket is no longer pending): close the connection.
    /// </summary>
    public bool TryEstablish(AdmissionTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        AdmissionRefusal refusal;
        lock (_gate)
        {
            if (ticket.State != AdmissionState.Pending) return false;
            var byAddress = CountsOf(_byAddress, ticket.Address);
            var byPrefix = CountsOf(_byPrefix, ticket.Prefix);
            if (byAddress.Established >= _options.MaxEstablishedPerAddress) refusal = AdmissionRefusal.AddressEstablished;
            else if (byPrefix.Established >= _options.MaxEstablishedPerPrefix) refusal = AdmissionRefusal.PrefixEstablished;
            else
            {
                RemovePendingLocked(ticket, AdmissionState.Established);
                byAddress.Established++;
                byPrefix.Established++;
                _established++;
                return true;
            }
        }
        AdmissionLog.Refused(_log, ticket.Address, refusal);
        return false;
    }

    /// <summary>
    /// The ticket's connection has ended. When <paramref name="error"/> is (or wraps) a
    /// <see cref="PeerAbuseException"/>, the address goes to the penalty box. Idempotent.
    /// </summary>
    public void Release(AdmissionTicket ticket, Exception? error)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        lock (_gate)
        {
            switch (ticket.State)
            {
                case AdmissionState.Pending or AdmissionState.Expired:
                    RemovePendingLocked(ticket, AdmissionState.Released);
                    break;
                case AdmissionState.Established:
                    Decrement(ticket, established: true);
                    _established--;
                    ticket.State = AdmissionState.Released;
                    break;
                default:
                    ticket.State = AdmissionState.Released;
                    break;
            }
        }
        if (AbuseIn(error) is { } abuse) Penalize(ticket.Address, abuse.Reason);
    }

    /// <summary>Refuses <paramref name="address"/> for a while (longer at each repeat); see <see cref="AdmissionOptions.Penalty"/>.</summary>
    public void Penalize(IPAddress address, string reason)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = SourcePrefix.Normalize(address);
        TimeSpan duration;
        lock (_gate) duration = _penalties.Add(address, _time.GetTimestamp());
        Interlocked.Increment(ref _abusive);
        AdmissionLog.Penalized(_log, address, duration, reason);
    }

    /// <summary>True (with the time left) while <paramref name="address"/> is in the penalty box.</summary>
    public bool IsPenalized(IPAddress address, out TimeSpan remaining)
    {
        address = SourcePrefix.Normalize(address);
        lock (_gate) return _penalties.IsPenalized(address, _time.GetTimestamp(), out remaining);
    }

    /// <summary>
    /// Pending tickets whose deadline (at the current load) has passed, now marked expired: the
    /// caller closes their connections. Each is returned once.
    /// </summary>
    public IReadOnlyList<AdmissionTicket> TakeExpired()
    {
        List<AdmissionTicket>? expired = null;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var timeout = PendingTimeoutLocked();
            for (var node = _pending.First; node is not null; node = node.Next)
            {
                var t = node.Value;
                if (_time.GetElapsedTime(t.AdmittedAt, now) < timeout) break; // oldest first: the rest are younger
                if (t.State != AdmissionState.Pending) continue;
                t.State = AdmissionState.Expired;
                (expired ??= []).Add(t);
            }
        }
        if (expired is null) return [];
        Interlocked.Add(ref _expired, expired.Count);
        foreach (var t in expired) AdmissionLog.Expired(_log, t.Address);
        return expired;
    }

    /// <summary>PendingTimeout up to a quarter of the slots taken, then linearly down to MinPendingTimeout when all are.</summary>
    private TimeSpan PendingTimeoutLocked()
    {
        var load = (double)_pending.Count / _options.MaxPending;
        if (load <= 0.25) return _options.PendingTimeout;
        var f = Math.Min(1, (load - 0.25) / 0.75);
        return _options.PendingTimeout - (_options.PendingTimeout - _options.MinPendingTimeout) * f;
    }

    private void RemovePendingLocked(AdmissionTicket ticket, AdmissionState next)
    {
        if (ticket.PendingNode is { } node)
        {
            _pending.Remove(node);
            ticket.PendingNode = null;
            Decrement(ticket, established: false);
        }
        ticket.State = next;
    }

    private void Decrement(AdmissionTicket ticket, bool established)
    {
        Lower(_byAddress, ticket.Address, established);
        Lower(_byPrefix, ticket.Prefix, established);

        static void Lower<TKey>(Dictionary<TKey, Counts> map, TKey key, bool established) where TKey : notnull
        {
            if (!map.TryGetValue(key, out var c)) return;
            if (established) c.Established--;
            else c.Pending--;
            if (c.Pending <= 0 && c.Established <= 0) map.Remove(key);
        }
    }

    private static Counts CountsOf<TKey>(Dictionary<TKey, Counts> map, TKey key) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var c)) map[key] = c = new Counts();
        return c;
    }

    internal static PeerAbuseException? AbuseIn(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is PeerAbuseException abuse) return abuse;
        return null;
    }
}
