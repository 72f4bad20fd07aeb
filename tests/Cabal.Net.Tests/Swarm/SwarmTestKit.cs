using Cabal.Net.Swarm;
using Cabal.Tests;

namespace Cabal.Net.Tests.Swarm;

internal static class SwarmTestKit
{
    public static Key32 Key(byte fill) => new(Enumerable.Repeat(fill, 32).ToArray());

    public static (SwarmEngine Engine, ManualTimeProvider Time) Create(byte key = 0x50, SwarmOptions? options = null, Func<long, bool>? hasExchangedData = null)
    {
        var time = new ManualTimeProvider();
        var engine = new SwarmEngine(Key(key), (options ?? new SwarmOptions()) with { Time = time, Random = new Random(7) }, hasExchangedData);
        return (engine, time);
    }

    public static List<T> Take<T>(this SwarmEngine engine) where T : SwarmAction => engine.TakeActions().OfType<T>().ToList();

    /// <summary>Jumps from one scheduled event to the next until an action appears; returns it and the time taken.</summary>
    public static (SwarmAction? Action, TimeSpan Elapsed) RunUntilAction(this SwarmEngine engine, ManualTimeProvider time, TimeSpan limit)
    {
        var elapsed = TimeSpan.Zero;
        while (engine.NextDue is { } due && elapsed + due <= limit)
        {
            time.Advance(due);
            elapsed += due;
            engine.Tick();
            var actions = engine.TakeActions();
            if (actions.Count > 0) return (actions[0], elapsed);
        }
        return (null, elapsed);
    }
}
