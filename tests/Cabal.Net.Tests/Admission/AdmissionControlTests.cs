using System.Net;
using Cabal.Net.Admission;
using Cabal.Tests;

namespace Cabal.Net.Tests.Admission;

// The sans-IO admission state machine, on a hand-moved clock (issue 20, defect 1).
public sealed class AdmissionControlTests
{
    private static readonly IPAddress A = IPAddress.Parse("127.0.0.1"), B = IPAddress.Parse("127.0.0.2"), OtherPrefix = IPAddress.Parse("127.0.1.9");

    private static (AdmissionControl Control, ManualTimeProvider Clock) Make(AdmissionOptions? options = null)
    {
        var clock = new ManualTimeProvider();
        return (new AdmissionControl((options ?? new AdmissionOptions()) with { TimeProvider = clock }), clock);
    }

    [Fact]
    public void OneAddressGetsOnlyItsShareOfPendingSlots_AnotherStillGetsIn()
    {
        var (control, _) = Make();
        var admitted = Enumerable.Range(0, 200).Count(_ => control.TryAdmit(A).Admitted);
        Assert.Equal(8, admitted);
        Assert.Equal(AdmissionRefusal.AddressPending, control.TryAdmit(A).Refusal);
        Assert.True(control.TryAdmit(B).Admitted);
        Assert.Equal(192 + 1, control.RefusedCount);
    }

    [Fact]
    public void APrefixIsLimitedAcrossItsAddresses()
    {
        var (control, _) = Make(new AdmissionOptions { MaxPendingPerAddress = 4, MaxPendingPerPrefix = 6 });
        for (var i = 1; i <= 6; i++) Assert.True(control.TryAdmit(IPAddress.Parse($"127.0.0.{i}")).Admitted);
        Assert.Equal(AdmissionRefusal.PrefixPending, control.TryAdmit(IPAddress.Parse("127.0.0.7")).Refusal);
        Assert.True(control.TryAdmit(OtherPrefix).Admitted);
        // IPv6: a /64 is one prefix; an IPv4-mapped address is its IPv4 self.
        Assert.Equal(SourcePrefix.Of(IPAddress.Parse("2001:db8::1")), SourcePrefix.Of(IPAddress.Parse("2001:db8::ffff:1")));
        Assert.NotEqual(SourcePrefix.Of(IPAddress.Parse("2001:db8::1")), SourcePrefix.Of(IPAddress.Parse("2001:db8:0:1::1")));
        Assert.Equal(SourcePrefix.Of(A), SourcePrefix.Of(A.MapToIPv6()));
    }

    [Fact]
    public void WhenFull_ANewcomerEvictsTheOldestPendingOfTheBusiestPrefix()
    {
        var (control, clock) = Make(new AdmissionOptions { MaxPending = 4, MaxPendingPerAddress = 4, MaxPendingPerPrefix = 4 });
        var first = control.TryAdmit(A).Ticket!;
        clock.Advance(TimeSpan.FromMilliseconds(1));
        for (var i = 0; i < 3; i++) Assert.True(control.TryAdmit(A).Admitted);
        var closed = 0;
        first.SetCloser(() => closed++);

        var decision = control.TryAdmit(OtherPrefix);
        Assert.True(decision.Admitted);
        Assert.Same(first, decision.Evicted);
        Assert.Equal(AdmissionState.Evicted, first.State);
        decision.Evicted!.RequestClose();
        Assert.Equal(1, closed);
        Assert.Equal(4, control.PendingCount);
        // The newcomer's prefix now holds 1 and the busiest 3: one more from it may still evict…
        Assert.NotNull(control.TryAdmit(IPAddress.Parse("127.0.1.10")).Evicted);
        // …but at 2 against 2, nobody is more deserving: refused.
        Assert.Equal(AdmissionRefusal.Full, control.TryAdmit(IPAddress.Parse("127.0.1.11")).Refusal);
        Assert.Equal(AdmissionRefusal.Full, control.TryAdmit(A).Refusal);
        Assert.Equal(2, control.EvictedCount);
        control.Release(first, null); // its connection ends later: no double count
        Assert.Equal(4, control.PendingCount);
    }

    [Fact]
    public void ThePendingDeadlineShrinksWithLoad()
    {
        var options = new AdmissionOptions { MaxPending = 8, MaxPendingPerAddress = 8, MaxPendingPerPrefix = 8, PendingTimeout = TimeSpan.FromSeconds(10), MinPendingTimeout = TimeSpan.FromSeconds(2) };
        var (control, clock) = Make(options);
        var t1 = control.TryAdmit(A).Ticket!;
        Assert.Equal(TimeSpan.FromSeconds(10), control.PendingTimeout);
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Empty(control.TakeExpired()); // 3 s < 10 s at low load

        for (var i = 0; i < 7; i++) control.TryAdmit(A);
        Assert.Equal(TimeSpan.FromSeconds(2), control.PendingTimeout); // all slots taken
        var expired = control.TakeExpired();
        Assert.Same(t1, Assert.Single(expired)); // the 3-s-old one is past 2 s; the new ones are not
        Assert.Equal(AdmissionState.Expired, t1.State);
        Assert.Empty(control.TakeExpired()); // returned once
        Assert.Equal(8, control.PendingCount); // still counted until its connection ends
        control.Release(t1, null);
        Assert.Equal(7, control.PendingCount);
        Assert.True(control.PendingTimeout > TimeSpan.FromSeconds(3)); // 7 of 8: between the two bounds
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(control.TakeExpired());
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(7, control.TakeExpired().Count);
        Assert.Equal(8, control.ExpiredCount);
    }

    [Fact]
    public void EstablishedConnectionsAreLimitedPerAddress()
    {
        var (control, _) = Make(new AdmissionOptions { MaxEstablishedPerAddress = 2 });
        var tickets = Enumerable.Range(0, 3).Select(_ => control.TryAdmit(A).Ticket!).ToList();
        Assert.True(control.TryEstablish(tickets[0]));
        Assert.True(control.TryEstablish(tickets[1]));
        Assert.False(control.TryEstablish(tickets[2])); // the caller closes it
        Assert.Equal(AdmissionRefusal.AddressEstablished, control.TryAdmit(A).Refusal);
        Assert.True(control.TryAdmit(B).Admitted);
        control.Release(tickets[0], null);
        Assert.Equal(1, control.EstablishedCount);
        Assert.True(control.TryAdmit(A).Admitted);
    }

    [Fact]
    public void AbuseSendsTheAddressToThePenaltyBox_WithBackoffAndForgiveness()
    {
        var options = new AdmissionOptions { Penalty = TimeSpan.FromSeconds(30), MaxPenalty = TimeSpan.FromMinutes(2) };
        var (control, clock) = Make(options);
        var t = control.TryAdmit(A).Ticket!;
        control.Release(t, new IOException("wrapped", new PeerAbuseException("frame too large")));
        Assert.Equal(1, control.AbusiveCount);
        Assert.Equal(AdmissionRefusal.Penalized, control.TryAdmit(A).Refusal);
        Assert.True(control.TryAdmit(B).Admitted); // only that address
        clock.Advance(TimeSpan.FromSeconds(31));
        var again = control.TryAdmit(A).Ticket!;
        control.Release(again, new PeerAbuseException("again"));
        Assert.True(control.IsPenalized(A, out var left));
        Assert.Equal(TimeSpan.FromSeconds(60), left); // doubled
        clock.Advance(TimeSpan.FromSeconds(61));
        control.Penalize(A, "third");
        Assert.True(control.IsPenalized(A, out left));
        Assert.Equal(TimeSpan.FromMinutes(2), left); // capped
        clock.Advance(TimeSpan.FromMinutes(5)); // quiet for more than twice MaxPenalty: starts over
        control.Penalize(A, "fourth");
        Assert.True(control.IsPenalized(A, out left));
        Assert.Equal(TimeSpan.FromSeconds(30), left);
        // A plain failure is not abuse.
        var plain = control.TryAdmit(B).Ticket!;
        control.Release(plain, new IOException("reset"));
        Assert.False(control.IsPenalized(B, out _));
    }

    [Fact]
    public void ThePenaltyBoxIsBounded()
    {
        var (control, clock) = Make(new AdmissionOptions { MaxPenalized = 3 });
        for (var i = 1; i <= 5; i++)
        {
            control.Penalize(IPAddress.Parse($"127.0.0.{i}"), "test");
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        Assert.False(control.IsPenalized(IPAddress.Parse("127.0.0.1"), out _)); // forgotten first
        Assert.True(control.IsPenalized(IPAddress.Parse("127.0.0.5"), out _));
    }

    [Fact]
    public void BadOptionsAreRefusedUpFront()
    {
        Assert.Throws<ArgumentException>(() => new AdmissionControl(new AdmissionOptions { MaxPending = 0 }));
        Assert.Throws<ArgumentException>(() => new AdmissionControl(new AdmissionOptions { MinPendingTimeout = TimeSpan.FromSeconds(20) }));
    }
}
