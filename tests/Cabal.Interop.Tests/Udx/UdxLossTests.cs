using Cabal.Net.Udx;
using static Cabal.Interop.Tests.Udx.UdxTestKit;
using UdxInstance = Cabal.Net.Udx.Udx;

namespace Cabal.Interop.Tests.Udx;

/// <summary>C# to C# over 127.0.0.1 with the fault hook losing, duplicating and reordering datagrams.</summary>
[Collection(UdxCollection.Name)]
public sealed class UdxLossTests
{
    [Theory]
    [InlineData(0.20, 0.0, 0.0)]
    [InlineData(0.20, 0.05, 0.05)]
    public async Task TransfersBothWaysByteExactAtTwentyPercentLoss(double loss, double duplicate, double reorder)
    {
        const long size = 4L << 20;
        // One side's socket loses `loss` of what it sends and of what it receives: 20 % each way.
        var faults = new UdxFaultInjection { LossRate = loss, DuplicateRate = duplicate, ReorderRate = reorder, Seed = 20 };
        await using var lossy = new UdxInstance(new UdxOptions { FaultInjection = faults });
        await using var clean = new UdxInstance();
        var sa = lossy.Bind(AnyLoopbackPort);
        var sb = clean.Bind(AnyLoopbackPort);
        var (a, b) = Connect(sa, sb, lossy, clean);

        var readA = ReadAllAsync(a.Input);
        var readB = ReadAllAsync(b.Input);
        await Bounded(Task.WhenAll(WritePatternAsync(a.Output, size), WritePatternAsync(b.Output, size)), "writes under loss");
        var expected = (size, PatternSha256(size));
        Assert.Equal(expected, await Bounded(readB, "b reads"));
        Assert.Equal(expected, await Bounded(readA, "a reads"));
        Assert.Null(await Bounded(a.Closed, "a closes"));
        Assert.Null(await Bounded(b.Closed, "b closes"));

        Assert.True(a.Retransmits > 0 && b.Retransmits > 0, $"retransmits a={a.Retransmits} b={b.Retransmits}");
        var (dropped, duplicated, reordered) = sa.InjectedFaults;
        Assert.True(dropped > 2 * size / 1500 * loss * 0.5, $"{dropped} dropped");
        if (duplicate > 0) Assert.True(duplicated > 0 && reordered > 0);
        // Every loss is repaired: retransmissions at least cover the data packets that were dropped.
        Assert.True(a.Retransmits + b.Retransmits >= dropped / 4, $"{a.Retransmits}+{b.Retransmits} retransmits for {dropped} drops");
    }
}
