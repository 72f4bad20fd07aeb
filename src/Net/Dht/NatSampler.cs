// dht-rpc's NAT sampler (nat-sampler 1.0.1; spec/hyperswarm.md §2.6): learns our public address from
// the `to` fields peers send back. It remembers the last 16 (host, port) and 16 (host, *) samples in a
// 32-slot ring of pairs. A new sample shares its counter with an equal sample among the last four of
// its kind (otherwise it starts a new counter at 1); a counter drops when a ring slot holding it is
// overwritten. The address is reported once a counter reaches the threshold, which trails the sample
// count by 0, 1, 2 or 3 as the count passes 4, 8 and 12:
//   (host, port) counter ≥ threshold → Host, Port
//   else (host, *) counter ≥ threshold → Host, Port = 0 ("host is stable, port is not": randomised NAT)
// The same rules as JS, so a C# node classifies itself the way a JS node on that network would.
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed class NatSampler
{
    private const int RingSize = 32;

    private sealed class Sample(uint host, ushort port)
    {
        public readonly uint Host = host;
        public readonly ushort Port = port;
        public int Hits = 1;
    }

    private readonly List<Sample> _samples = new(RingSize);
    private Sample? _bestExact;
    private Sample? _bestHost;
    private int _threshold;
    private int _top;

    /// <summary>Sampled public host, or null while no sample is dominant.</summary>
    public uint? Host { get; private set; }

    /// <summary>Sampled public port; 0 when only the host is consistent (or nothing is known).</summary>
    public ushort Port { get; private set; }

    /// <summary>Samples taken (counts up to 16).</summary>
    public int Size { get; private set; }

    public Ipv4EndPoint? EndPoint => Host is { } h && Port != 0 ? new Ipv4EndPoint(h, Port) : null;

    /// <summary>Adds one observation of our address; returns the hits of its (host, port) counter.</summary>
    public int Add(Ipv4EndPoint seen)
    {
        var a = Bump(seen.Address, seen.Port, 2);
        var b = Bump(seen.Address, 0, 1);

        if (_samples.Count < RingSize)
        {
            Size++;
            _threshold = Size - (Size < 4 ? 0 : Size < 8 ? 1 : Size < 12 ? 2 : 3);
            _samples.Add(a);
            _samples.Add(b);
            _top += 2;
        }
        else
        {
            if (_top == RingSize) _top = 0;
            var oa = _samples[_top];
            _samples[_top++] = a;
            oa.Hits--;
            var ob = _samples[_top];
            _samples[_top++] = b;
            ob.Hits--;
        }

        if (_bestExact is null || _bestExact.Hits < a.Hits) _bestExact = a;
        if (_bestHost is null || _bestHost.Hits < b.Hits) _bestHost = b;

        if (_bestExact.Hits >= _threshold)
        {
            Host = _bestExact.Host;
            Port = _bestExact.Port;
        }
        else if (_bestHost.Hits >= _threshold)
        {
            Host = _bestHost.Host;
            Port = 0;
        }
        else
        {
            Host = null;
            Port = 0;
        }
        return a.Hits;
    }

    private Sample Bump(uint host, ushort port, int offset)
    {
        for (var i = 0; i < 4; i++)
        {
            var j = (_top - offset - 2 * i) & (RingSize - 1);
            if (j >= _samples.Count) break;
            var s = _samples[j];
            if (s.Port == port && s.Host == host)
            {
                s.Hits++;
                return s;
            }
        }
        return new Sample(host, port);
    }
}
