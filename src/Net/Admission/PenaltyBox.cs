// Addresses refused for a while because a connection from them was ended for abuse. The refusal
// doubles at each repeat (Penalty, 2×, 4×… up to MaxPenalty) and an address quiet for twice
// MaxPenalty starts over. Bounded: past MaxPenalized entries the one struck longest ago is
// forgotten, so a spoofing flood of addresses cannot grow it without limit. Not thread-safe: the
// admission control calls it under its lock.
using System.Net;

namespace Cabal.Net.Admission;

internal sealed class PenaltyBox(AdmissionOptions options)
{
    private sealed class Entry
    {
        public int Strikes;
        public long LastStrike;
        public long Until;
    }

    private readonly Dictionary<IPAddress, Entry> _entries = [];
    private readonly TimeProvider _time = options.TimeProvider;

    public int Count => _entries.Count;

    /// <summary>Records a strike at <paramref name="now"/>; returns how long the address is refused.</summary>
    public TimeSpan Add(IPAddress address, long now)
    {
        if (!_entries.TryGetValue(address, out var entry))
        {
            if (_entries.Count >= options.MaxPenalized) ForgetOldest();
            _entries[address] = entry = new Entry();
        }
        else if (_time.GetElapsedTime(entry.LastStrike, now) > options.MaxPenalty * 2) entry.Strikes = 0;

        entry.Strikes++;
        entry.LastStrike = now;
        var factor = Math.Pow(2, Math.Min(entry.Strikes - 1, 30));
        var duration = TimeSpan.FromTicks((long)Math.Min(options.MaxPenalty.Ticks, options.Penalty.Ticks * factor));
        entry.Until = now + (long)(duration.TotalSeconds * _time.TimestampFrequency);
        return duration;
    }

    public bool IsPenalized(IPAddress address, long now) => IsPenalized(address, now, out _);

    public bool IsPenalized(IPAddress address, long now, out TimeSpan remaining)
    {
        remaining = TimeSpan.Zero;
        if (!_entries.TryGetValue(address, out var entry) || entry.Until <= now) return false;
        remaining = _time.GetElapsedTime(now, entry.Until);
        return true;
    }

    private void ForgetOldest()
    {
        IPAddress? oldest = null;
        var at = long.MaxValue;
        foreach (var (address, entry) in _entries)
            if (entry.LastStrike < at) { at = entry.LastStrike; oldest = address; }
        if (oldest is not null) _entries.Remove(oldest);
    }
}
