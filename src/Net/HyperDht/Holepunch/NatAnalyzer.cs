// What a holepunch socket's NAT does to our address (hyperdht lib/nat.js; spec/hyperswarm.md §3.10), as
// pure state. Samples are (our address as a DHT node saw it, that node), one per node. With at least 3
// samples (unless frozen):
//   the most-hit (host, port) has ≥ 3 hits                      → CONSISTENT (the NAT keeps one port)
//   it has 1 hit                                                 → RANDOM (a new port per destination)
//   it has 2: one host and > 3 samples → RANDOM; a second host with > 1 hit → CONSISTENT; > 4 samples → RANDOM
// A node that is not firewalled is OPEN from the start. Addresses we tell the peer: for CONSISTENT the
// (host, port) samples with ≥ 2 hits (at least the top two), for RANDOM the host with port 0.
// The analysis is "resolved" (a waiting punch may go on) once CONSISTENT/OPEN is known, MinSamples
// samples arrived, or the sampler gave up.
using Cabal.Net.Compact;

namespace Cabal.Net.HyperDht.Holepunch;

public sealed class NatAnalyzer
{
    /// <summary>Samples the analysis waits for when no early answer comes (nat.js _minSamples).</summary>
    public const int DefaultMinSamples = 4;

    private sealed class Sample(uint host, ushort port)
    {
        public readonly uint Host = host;
        public readonly ushort Port = port;
        public int Hits = 1;
    }

    private readonly bool _firewalled;
    private readonly List<Sample> _hosts = [];
    private readonly List<Sample> _full = [];
    private readonly HashSet<Ipv4EndPoint> _sampledFrom = [];
    private readonly int _minSamples;

    public NatAnalyzer(bool firewalled, int minSamples = DefaultMinSamples)
    {
        _firewalled = firewalled;
        _minSamples = minSamples;
        Firewall = firewalled ? FirewallType.Unknown : FirewallType.Open;
    }

    public FirewallType Firewall { get; private set; }

    /// <summary>Where the peer should punch to; null while UNKNOWN (and for OPEN, as JS).</summary>
    public IReadOnlyList<Ipv4EndPoint>? Addresses { get; private set; }

    public int Sampled { get; private set; }

    /// <summary>Set once we told the peer our state: later samples no longer change it.</summary>
    public bool Frozen { get; private set; }

    public bool Resolved { get; private set; }

    /// <summary>Adds a sample: <paramref name="seen"/> is our address as <paramref name="from"/> saw it. One per node; true if it counted.</summary>
    public bool Add(Ipv4EndPoint seen, Ipv4EndPoint from)
    {
        if (!_sampledFrom.Add(from)) return false;
        AddSample(_hosts, seen.Address, 0);
        AddSample(_full, seen.Address, seen.Port);
        if ((++Sampled >= 3 || !_firewalled) && !Frozen) Update();
        if (Firewall is FirewallType.Consistent or FirewallType.Open || Sampled >= _minSamples) Resolved = true;
        return true;
    }

    /// <summary>The sampler has no more nodes to ask: whatever we know is the answer.</summary>
    public void GiveUp() => Resolved = true;

    public void Freeze() => Frozen = true;

    public void Unfreeze()
    {
        Frozen = false;
        Update();
    }

    private void Update()
    {
        UpdateFirewall();
        UpdateAddresses();
    }

    private void UpdateFirewall()
    {
        if (!_firewalled)
        {
            Firewall = FirewallType.Open;
            return;
        }
        if (Sampled < 3) return;
        var max = _full[0].Hits;
        if (max >= 3) Firewall = FirewallType.Consistent;
        else if (max == 1) Firewall = FirewallType.Random;
        else if (_hosts.Count == 1 && Sampled > 3) Firewall = FirewallType.Random;
        else if (_hosts.Count > 1 && _full.Count > 1 && _full[1].Hits > 1) Firewall = FirewallType.Consistent;
        else if (Sampled > 4) Firewall = FirewallType.Random;
    }

    private void UpdateAddresses()
    {
        switch (Firewall)
        {
            case FirewallType.Random:
                Addresses = [new Ipv4EndPoint(_hosts[0].Host, 0)];
                break;
            case FirewallType.Consistent:
                var list = new List<Ipv4EndPoint>();
                foreach (var s in _full)
                    if (s.Hits >= 2 || list.Count < 2) list.Add(new Ipv4EndPoint(s.Host, s.Port));
                Addresses = list;
                break;
            default:
                Addresses = null;
                break;
        }
    }

    /// <summary>Counts a hit and keeps the list ordered by hits, most first (nat.js addSample).</summary>
    private static void AddSample(List<Sample> samples, uint host, ushort port)
    {
        for (var i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            if (s.Host != host || s.Port != port) continue;
            s.Hits++;
            for (; i > 0 && samples[i - 1].Hits < s.Hits; i--) (samples[i - 1], samples[i]) = (samples[i], samples[i - 1]);
            return;
        }
        samples.Add(new Sample(host, port));
    }
}
