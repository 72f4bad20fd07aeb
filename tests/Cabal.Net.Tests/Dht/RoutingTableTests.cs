using Cabal.Net.Compact;
using Cabal.Net.Dht;

namespace Cabal.Net.Tests.Dht;

public class RoutingTableTests
{
    // Addresses built from octets, not literals: these never leave the test.
    private static Ipv4EndPoint Address(byte a, byte b, byte c, byte d, int port) => new((uint)(a << 24 | b << 16 | c << 8 | d), (ushort)port);

    private static RoutingEntry Entry(Ipv4EndPoint e) => new(NodeId.FromEndPoint(e), e);

    [Fact]
    public void AtMostMaxNodesPerHostOutsideLoopback()
    {
        var table = new RoutingTable(new byte[32], maxNodesPerHost: 3);
        for (var port = 1; port <= 10; port++) table.Add(Entry(Address(5, 6, 7, 8, port)));
        Assert.Equal(3, table.Count);
        Assert.Equal(7, table.RefusedByHostLimit);
        Assert.Equal(RoutingTable.AddResult.Added, table.Add(Entry(Address(5, 6, 7, 9, 1))));

        var first = table.ToList().First(n => n.EndPoint.Address == Address(5, 6, 7, 8, 0).Address);
        Assert.True(table.Remove(first.Id));
        Assert.Equal(RoutingTable.AddResult.Added, table.Add(Entry(Address(5, 6, 7, 8, 99))));
        Assert.Equal(RoutingTable.AddResult.HostLimit, table.Add(Entry(Address(5, 6, 7, 8, 100))));
    }

    [Fact]
    public void LoopbackIsExemptUnlessLimited()
    {
        var open = new RoutingTable(new byte[32], maxNodesPerHost: 3);
        var limited = new RoutingTable(new byte[32], maxNodesPerHost: 3, limitLoopback: true);
        for (var port = 1; port <= 10; port++)
        {
            open.Add(Entry(Ipv4EndPoint.Loopback(port)));
            limited.Add(Entry(Ipv4EndPoint.Loopback(port)));
        }
        Assert.Equal(10, open.Count);
        Assert.Equal(3, limited.Count);
    }

    [Fact]
    public void RowsHoldAtMostKAndClosestWalksRowsLikeJs()
    {
        var id = new byte[32];
        var table = new RoutingTable(id, k: 4);
        var full = 0;
        for (var i = 0; i < 200; i++)
        {
            var r = table.Add(Entry(Address(9, 9, (byte)(i / 250), (byte)(i % 250), 1000 + i)));
            if (r == RoutingTable.AddResult.RowFull) full++;
        }
        Assert.True(full > 0);
        var target = new byte[32];
        target[0] = 0x80;
        var closest = table.Closest(target, 4);
        Assert.Equal(4, closest.Count);
        // Row 0 (top bit differs) comes first: every node there has the top bit set.
        var row0 = table.ToList().Where(n => (n.Id[0] & 0x80) != 0).ToList();
        Assert.Equal(row0.Take(4).Select(n => n.EndPoint), closest.Take(Math.Min(4, row0.Count)).Select(n => n.EndPoint));
        Assert.Equal(table.Count, table.ToList().Count);
    }

    [Fact]
    public void NatSamplerFindsConsistentAndRandomisedAddresses()
    {
        var consistent = new NatSampler();
        var me = Address(1, 2, 3, 4, 5000);
        consistent.Add(me);
        Assert.Equal(me, consistent.EndPoint);
        for (var i = 0; i < 10; i++) consistent.Add(me);
        Assert.Equal(me, consistent.EndPoint);

        var randomised = new NatSampler();
        for (var i = 0; i < 12; i++) randomised.Add(me with { Port = (ushort)(6000 + i) });
        Assert.Equal(me.Address, randomised.Host);
        Assert.Equal(0, randomised.Port);
        Assert.Null(randomised.EndPoint);

        var mixed = new NatSampler();
        mixed.Add(me);
        mixed.Add(Address(7, 7, 7, 7, 1));
        Assert.Null(mixed.Host);
    }

    [Fact]
    public void RateLimiterRefillsAndBoundsItsTable()
    {
        var limiter = new HostRateLimiter(ratePerSecond: 10, burst: 5, maxHosts: 2);
        var taken = Enumerable.Range(0, 8).Count(_ => limiter.TryAcquire(1, 0));
        Assert.Equal(5, taken);
        Assert.True(limiter.TryAcquire(2, 0));
        Assert.False(limiter.TryAcquire(1, 50));
        Assert.True(limiter.TryAcquire(1, 200));
        // A third host shares the overflow bucket instead of growing the table.
        Assert.Equal(5, Enumerable.Range(0, 8).Count(i => limiter.TryAcquire((uint)(100 + i), 0)));
        limiter.Prune(10_000);
        Assert.Equal(3 + 1 + 3, limiter.Dropped);
    }
}
