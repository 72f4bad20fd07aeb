using Cabal.Net.Swarm;
using static Cabal.Net.Tests.Swarm.SwarmTestKit;

namespace Cabal.Net.Tests.Swarm;

public sealed class SwarmTopicTests
{
    private static readonly Key32 Topic = Key(0xAA);

    [Fact]
    public void Joining_as_server_announces_at_once_clearing_old_records_and_later_announces_without_clearing()
    {
        var (engine, time) = Create();
        engine.Join(Topic, server: true, client: true);
        Assert.Equal([new AnnounceAction(Topic, Clear: true)], engine.TakeActions());
        Assert.Null(engine.NextDue); // nothing scheduled while the query runs

        engine.QueryFinished(Topic);
        var (action, elapsed) = engine.RunUntilAction(time, TimeSpan.FromHours(1));
        Assert.Equal(new AnnounceAction(Topic, Clear: false), action);
        Assert.InRange(elapsed, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(12));
    }

    [Fact]
    public void Every_refresh_comes_before_the_20_minute_record_expiry()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var time = new Cabal.Tests.ManualTimeProvider();
            var engine = new SwarmEngine(Key(1), new SwarmOptions { Time = time, Random = new Random(seed) });
            engine.Join(Topic);
            for (var round = 0; round < 3; round++)
            {
                engine.TakeActions();
                engine.QueryFinished(Topic);
                Assert.InRange(engine.NextDue!.Value, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(12));
                time.Advance(engine.NextDue!.Value);
                engine.Tick();
            }
        }
    }

    [Fact]
    public void A_client_only_topic_is_looked_up_and_a_dropped_server_role_unannounces_with_the_lookup()
    {
        var (engine, time) = Create();
        engine.Join(Topic, server: false, client: true);
        Assert.Equal([new LookupAction(Topic, Unannounce: false)], engine.TakeActions());
        engine.QueryFinished(Topic);

        engine.Join(Topic, server: true, client: true);
        Assert.Equal([new AnnounceAction(Topic, Clear: true)], engine.TakeActions());
        engine.Join(Topic, server: false, client: true); // while the announce runs: refresh after it
        Assert.Empty(engine.TakeActions());
        engine.QueryFinished(Topic);
        Assert.Equal([new LookupAction(Topic, Unannounce: true)], engine.TakeActions());
        engine.QueryFinished(Topic);
        time.Advance(engine.NextDue!.Value);
        engine.Tick();
        Assert.Equal([new LookupAction(Topic, Unannounce: false)], engine.TakeActions());
    }

    [Fact]
    public void Leaving_unannounces_what_was_announced_and_stops_the_refreshes()
    {
        var (engine, _) = Create();
        engine.Join(Topic);
        engine.TakeActions();
        engine.QueryFinished(Topic);
        Assert.True(engine.Leave(Topic));
        Assert.Equal([new UnannounceAction(Topic)], engine.TakeActions());
        Assert.Null(engine.NextDue);
        Assert.Empty(engine.Topics);
        Assert.False(engine.Leave(Topic));
    }

    [Fact]
    public void Leaving_a_client_only_topic_sends_no_unannounce()
    {
        var (engine, _) = Create();
        engine.Join(Topic, server: false, client: true);
        engine.TakeActions();
        engine.Leave(Topic);
        Assert.Empty(engine.TakeActions());
    }

    [Fact]
    public void A_refresh_found_long_overdue_is_put_off_by_the_jitter_alone()
    {
        var (engine, time) = Create();
        engine.Join(Topic);
        engine.TakeActions();
        engine.QueryFinished(Topic);
        time.Advance(TimeSpan.FromHours(3)); // asleep
        engine.Tick();
        Assert.Empty(engine.TakeActions());
        Assert.InRange(engine.NextDue!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(2));
        time.Advance(engine.NextDue!.Value);
        engine.Tick();
        Assert.Equal([new AnnounceAction(Topic, Clear: false)], engine.TakeActions());
    }

    [Fact]
    public void Bad_arguments_are_refused_before_any_state_changes()
    {
        var (engine, _) = Create();
        Assert.Throws<ArgumentException>(() => engine.Join(Topic, server: false, client: false));
        Assert.Empty(engine.Topics);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SwarmEngine(Key(1), new SwarmOptions { MaxPeers = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SwarmEngine(Key(1), new SwarmOptions { MaxParallel = 0 }));
    }

    [Fact]
    public void Defaults_are_hyperswarms()
    {
        var o = new SwarmOptions();
        Assert.Equal(64, o.MaxPeers);
        Assert.Equal(3, o.MaxParallel);
        Assert.Equal(TimeSpan.FromMinutes(10), o.RefreshInterval);
        Assert.Equal(TimeSpan.FromMinutes(2), o.RefreshJitter);
        Assert.Equal(TimeSpan.FromSeconds(15), o.MinConnectionTime);
    }
}
