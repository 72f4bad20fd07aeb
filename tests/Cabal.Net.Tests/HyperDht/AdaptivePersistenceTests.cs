using Cabal.Net.Dht;
using Cabal.Net.HyperDht;
using Cabal.Tests;

namespace Cabal.Net.Tests.HyperDht;

/// <summary>
/// An adaptive node (HyperDhtOptions.Ephemeral = null, what the seeding bot and the client run) starts
/// ephemeral and, once NAT sampling has shown it reachable for hyperdht's stable period (240 ticks of
/// 5 s, 20 minutes), becomes a persistent node that stores records for others. Time is injected.
/// </summary>
public sealed class AdaptivePersistenceTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AReachableAdaptiveNodeBecomesPersistentAfterTwentyStableMinutesAndThenAnswersStorageCommands()
    {
        await using var net = await MemoryTestnet.StartAsync(persistent: 3);
        var time = new ManualTimeProvider();
        var adaptive = await net.AddNodeAsync(ephemeral: null, options: net.Options(null) with { Time = time });
        var asker = await net.AddNodeAsync();
        var becamePersistent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        adaptive.Node.BecamePersistent += () => becamePersistent.TrySetResult();
        Assert.True(adaptive.Node.Ephemeral);
        Assert.False(adaptive.Node.Firewalled);

        var ticks = 0;
        // Tick by tick, letting the pings each tick sends be answered before the clock moves on.
        for (; ticks < 300 && !becamePersistent.Task.IsCompleted; ticks++)
        {
            time.Advance(Tick);
            await Task.Delay(2);
            if (ticks == 200) Assert.True(adaptive.Node.Ephemeral, "still ephemeral before the stable period ends");
        }
        await becamePersistent.Task.WaitAsync(MemoryTestnet.Bound);
        Assert.InRange(ticks, 239, 260);
        Assert.False(adaptive.Node.Ephemeral);

        var topic = new byte[32];
        var reply = await asker.Node.RequestAsync(adaptive.Node.ServerAddress, new DhtRequestOptions { Command = HyperDhtCommand.Lookup, Target = topic }).WaitAsync(MemoryTestnet.Bound);
        Assert.Equal(DhtErrorCode.None, reply.Error);
        Assert.NotNull(reply.Token);
        Assert.NotNull(reply.FromId);
    }
}
