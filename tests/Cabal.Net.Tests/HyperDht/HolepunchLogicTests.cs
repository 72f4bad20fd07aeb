using Cabal.Net.Compact;
using Cabal.Net.HyperDht.Holepunch;
using Cabal.Net.HyperDht;
using Cabal.Tests;

namespace Cabal.Net.Tests.HyperDht;

/// <summary>The pure parts of holepunching: NAT classification, the punch strategy, address classes, the random-punch limit.</summary>
public class HolepunchLogicTests
{
    private static Ipv4EndPoint Ip(byte a, byte b, byte c, byte d, ushort port = 0) => new((uint)(a << 24 | b << 16 | c << 8 | d), port);

    private static Ipv4EndPoint Node(int i) => Ip(127, 0, 0, 1, (ushort)(40000 + i));

    [Fact]
    public void AnUnfirewalledNodeIsOpenFromTheStart()
    {
        var nat = new NatAnalyzer(firewalled: false);
        Assert.Equal(FirewallType.Open, nat.Firewall);
        Assert.False(nat.Resolved);
        nat.Add(Ip(127, 0, 0, 1, 5000), Node(1));
        Assert.Equal(FirewallType.Open, nat.Firewall);
        Assert.True(nat.Resolved);
    }

    [Fact]
    public void ThreeNodesSeeingOnePortMeanAConsistentNat()
    {
        var nat = new NatAnalyzer(firewalled: true);
        nat.Add(Ip(127, 0, 0, 9, 5000), Node(1));
        nat.Add(Ip(127, 0, 0, 9, 5000), Node(2));
        Assert.Equal(FirewallType.Unknown, nat.Firewall);
        Assert.Null(nat.Addresses);
        Assert.False(nat.Resolved);
        nat.Add(Ip(127, 0, 0, 9, 5000), Node(3));
        Assert.Equal(FirewallType.Consistent, nat.Firewall);
        Assert.Equal([Ip(127, 0, 0, 9, 5000)], nat.Addresses);
        Assert.True(nat.Resolved);
    }

    [Fact]
    public void APortPerDestinationMeansARandomisingNat()
    {
        var nat = new NatAnalyzer(firewalled: true);
        for (var i = 1; i <= 3; i++) nat.Add(Ip(127, 0, 0, 9, (ushort)(5000 + i)), Node(i));
        Assert.Equal(FirewallType.Random, nat.Firewall);
        Assert.Equal([Ip(127, 0, 0, 9)], nat.Addresses);
        Assert.False(nat.Resolved, "RANDOM is only final after the fourth sample");
        nat.Add(Ip(127, 0, 0, 9, 5004), Node(4));
        Assert.True(nat.Resolved);
    }

    [Fact]
    public void TwoHitsOnOneHostNeedAFourthSample()
    {
        var nat = new NatAnalyzer(firewalled: true);
        nat.Add(Ip(127, 0, 0, 9, 5000), Node(1));
        nat.Add(Ip(127, 0, 0, 9, 5000), Node(2));
        nat.Add(Ip(127, 0, 0, 9, 6000), Node(3));
        Assert.Equal(FirewallType.Unknown, nat.Firewall);
        nat.Add(Ip(127, 0, 0, 9, 7000), Node(4));
        Assert.Equal(FirewallType.Random, nat.Firewall);
    }

    [Fact]
    public void DoubleHitsOnTwoHostsMeanConsistent()
    {
        var nat = new NatAnalyzer(firewalled: true);
        nat.Add(Ip(127, 0, 0, 9, 5000), Node(1));
        nat.Add(Ip(127, 0, 0, 9, 5000), Node(2));
        nat.Add(Ip(127, 0, 0, 8, 5000), Node(3));
        nat.Add(Ip(127, 0, 0, 8, 5000), Node(4));
        Assert.Equal(FirewallType.Consistent, nat.Firewall);
        Assert.Equal([Ip(127, 0, 0, 9, 5000), Ip(127, 0, 0, 8, 5000)], nat.Addresses);
    }

    [Fact]
    public void OneSamplePerNodeAndNoChangesOnceFrozen()
    {
        var nat = new NatAnalyzer(firewalled: true);
        Assert.True(nat.Add(Ip(127, 0, 0, 9, 5000), Node(1)));
        Assert.False(nat.Add(Ip(127, 0, 0, 9, 5000), Node(1)));
        Assert.Equal(1, nat.Sampled);
        nat.Add(Ip(127, 0, 0, 9, 5001), Node(2));
        nat.Add(Ip(127, 0, 0, 9, 5002), Node(3));
        Assert.Equal(FirewallType.Random, nat.Firewall);
        nat.Freeze();
        for (var i = 4; i < 10; i++) nat.Add(Ip(127, 0, 0, 9, 6000), Node(i));
        Assert.Equal(FirewallType.Random, nat.Firewall);
        nat.Unfreeze();
        Assert.Equal(FirewallType.Consistent, nat.Firewall);
    }

    [Theory]
    [InlineData(FirewallType.Consistent, FirewallType.Consistent, false, PunchKind.Consistent)]
    [InlineData(FirewallType.Open, FirewallType.Consistent, false, PunchKind.Consistent)]
    [InlineData(FirewallType.Consistent, FirewallType.Random, false, PunchKind.None)]
    [InlineData(FirewallType.Consistent, FirewallType.Random, true, PunchKind.RandomRemote)]
    [InlineData(FirewallType.Random, FirewallType.Open, true, PunchKind.Birthday)]
    [InlineData(FirewallType.Random, FirewallType.Random, true, PunchKind.None)]
    [InlineData(FirewallType.Unknown, FirewallType.Consistent, true, PunchKind.None)]
    public void ThePunchFollowsTheFirewallTypes(FirewallType local, FirewallType remote, bool verified, PunchKind expected)
        => Assert.Equal(expected, PunchStrategy.Choose(local, remote, hasRemoteAddresses: true, verified));

    [Fact]
    public void NoAddressesNoPunchAndUnverifiedAddressesEveryFourthRound()
    {
        Assert.Equal(PunchKind.None, PunchStrategy.Choose(FirewallType.Consistent, FirewallType.Consistent, false, false));
        Assert.Equal([4, 8], Enumerable.Range(1, PunchStrategy.ConsistentRounds).Where(r => PunchStrategy.ProbesAddress(r, verified: false)));
        Assert.All(Enumerable.Range(1, 10), r => Assert.True(PunchStrategy.ProbesAddress(r, verified: true)));
        Assert.True(PunchStrategy.Unstable(FirewallType.Random, FirewallType.Random));
        Assert.True(PunchStrategy.Unstable(FirewallType.Unknown, FirewallType.Consistent));
        Assert.False(PunchStrategy.Unstable(FirewallType.Random, FirewallType.Unknown));
    }

    [Fact]
    public void AddressClassesFollowBogon()
    {
        Assert.True(AddressClasses.IsPrivate(Ip(127, 0, 0, 1)));
        Assert.False(AddressClasses.IsReserved(Ip(127, 0, 0, 1)));
        Assert.True(AddressClasses.IsPrivate(Ip(10, 1, 2, 3)));
        Assert.True(AddressClasses.IsPrivate(Ip(100, 64, 0, 1)));
        Assert.False(AddressClasses.IsPrivate(Ip(100, 128, 0, 1)));
        Assert.True(AddressClasses.IsPrivate(Ip(172, 31, 0, 1)));
        Assert.False(AddressClasses.IsPrivate(Ip(172, 32, 0, 1)));
        Assert.True(AddressClasses.IsPrivate(Ip(192, 168, 1, 1)));
        Assert.True(AddressClasses.IsReserved(Ip(0, 1, 2, 3)));
        Assert.True(AddressClasses.IsReserved(Ip(198, 19, 0, 1)));
        Assert.True(AddressClasses.IsReserved(Ip(224, 0, 0, 1)));
        Assert.True(AddressClasses.IsReserved(Ip(255, 255, 255, 255)));
        Assert.False(AddressClasses.IsBogon(Ip(8, 8, 4, 4)));
        Assert.Equal([Ip(127, 0, 0, 1, 9)], AddressClasses.LocalAddresses(Ip(127, 0, 0, 1, 9)));
    }

    [Fact]
    public void TheLanMatchPrefersMoreSharedOctets()
    {
        IReadOnlyList<Ipv4EndPoint> local = [Ip(192, 168, 122, 238, 1)];
        Assert.Equal(Ip(192, 168, 122, 1, 7), AddressClasses.MatchAddress(local, [Ip(192, 1, 0, 1, 5), Ip(192, 168, 0, 23, 6), Ip(192, 168, 122, 1, 7)]));
        Assert.Equal(Ip(192, 168, 0, 23, 6), AddressClasses.MatchAddress(local, [Ip(192, 1, 0, 1, 5), Ip(192, 168, 0, 23, 6)]));
        Assert.Equal(Ip(192, 1, 0, 1, 5), AddressClasses.MatchAddress(local, [Ip(192, 1, 0, 1, 5)]));
        Assert.Null(AddressClasses.MatchAddress(local, [Ip(10, 0, 0, 1, 5)]));
        Assert.Null(AddressClasses.MatchAddress(local, []));
    }

    [Fact]
    public void RandomPunchesAreOneAtATimeAndSpacedOut()
    {
        var clock = new ManualTimeProvider();
        var gate = new RandomPunchGate(clock, TimeSpan.FromSeconds(20));
        Assert.False(gate.Busy);
        gate.Take();
        Assert.True(gate.Busy);
        gate.Release(stamp: false);
        Assert.False(gate.Busy);
        gate.Take();
        gate.Release();
        Assert.True(gate.Busy, "the interval starts when a punch ends");
        clock.Advance(TimeSpan.FromSeconds(21));
        Assert.False(gate.Busy);
    }
}
