using Cabal.Net.Swarm;
using static Cabal.Net.Tests.Swarm.SwarmTestKit;

namespace Cabal.Net.Tests.Swarm;

public sealed class SwarmConnectionTests
{
    private static readonly Key32 Topic = Key(0xAA);

    private static SwarmEngine Joined(out Cabal.Tests.ManualTimeProvider time, byte key = 0x50, SwarmOptions? options = null, Func<long, bool>? exchanged = null)
    {
        (var engine, time) = Create(key, options, exchanged);
        engine.Join(Topic);
        engine.TakeActions();
        engine.QueryFinished(Topic);
        return engine;
    }

    [Fact]
    public void A_found_peer_is_dialled_once_and_never_ourselves()
    {
        var engine = Joined(out _);
        engine.PeerFound(Topic, Key(0x50)); // our own key
        engine.PeerFound(Topic, Key(0x10));
        engine.PeerFound(Topic, Key(0x10)); // found again while dialling
        var dial = Assert.Single(engine.Take<DialAction>());
        Assert.Equal(Key(0x10), dial.PublicKey);
        Assert.True(engine.DialOpened(dial.ConnectionId));
        engine.PeerFound(Topic, Key(0x10));
        Assert.Empty(engine.TakeActions());
        Assert.Equal(1, engine.ConnectionCount);
    }

    [Fact]
    public void Peers_of_a_topic_joined_as_server_only_or_not_joined_are_not_dialled()
    {
        var (engine, _) = Create();
        engine.Join(Topic, server: true, client: false);
        engine.TakeActions();
        engine.PeerFound(Topic, Key(0x10));
        engine.PeerFound(Key(0xBB), Key(0x11));
        Assert.Empty(engine.TakeActions());
    }

    [Fact]
    public void At_most_MaxParallel_dials_run_at_once()
    {
        var engine = Joined(out _);
        for (byte i = 1; i <= 5; i++) engine.PeerFound(Topic, Key(i));
        var dials = engine.Take<DialAction>();
        Assert.Equal(3, dials.Count);
        Assert.Equal(3, engine.Connecting);
        Assert.Equal(2, engine.Queued);
        engine.DialOpened(dials[0].ConnectionId);
        Assert.Single(engine.Take<DialAction>());
        engine.ConnectionClosed(dials[1].ConnectionId); // a failed dial frees its slot too
        Assert.Single(engine.Take<DialAction>());
        Assert.Equal(0, engine.Queued);
    }

    [Fact]
    public void Dialling_stops_at_MaxPeers_connections_counting_incoming_ones()
    {
        var engine = Joined(out _, options: new SwarmOptions { MaxPeers = 2 });
        Assert.NotNull(engine.IncomingConnection(Key(0x20)));
        for (byte i = 1; i <= 4; i++) engine.PeerFound(Topic, Key(i));
        var dial = Assert.Single(engine.Take<DialAction>());
        engine.DialOpened(dial.ConnectionId);
        Assert.Empty(engine.TakeActions());
        Assert.NotNull(engine.IncomingConnection(Key(0x21))); // hyperswarm does not refuse incoming ones
        Assert.Equal(3, engine.ConnectionCount);
    }

    // Two swarms on one topic, keys 0xF0 and 0x0F, each told of the other: both dial at once.
    private static (SwarmEngine Big, SwarmEngine Small, DialAction BigDial, DialAction SmallDial) DialEachOther()
    {
        var big = Joined(out _, key: 0xF0);
        var small = Joined(out _, key: 0x0F);
        big.PeerFound(Topic, Key(0x0F));
        small.PeerFound(Topic, Key(0xF0));
        return (big, small, Assert.Single(big.Take<DialAction>()), Assert.Single(small.Take<DialAction>()));
    }

    [Fact]
    public void Simultaneous_dials_keep_the_connection_dialled_by_the_larger_key_on_both_sides()
    {
        // Two swarms dial each other at once; each then receives the other's dial as a server connection.
        var (big, small, bigDial, smallDial) = DialEachOther();

        // The larger key drops the incoming dial and keeps its own (sending a keep-alive on it)...
        Assert.Null(big.IncomingConnection(Key(0x0F)));
        Assert.Equal([new KeepAliveAction(bigDial.ConnectionId)], big.TakeActions());
        // ...the smaller key drops its own dial for the incoming one: the same connection survives.
        var kept = small.IncomingConnection(Key(0xF0));
        Assert.NotNull(kept);
        Assert.Equal([new CloseAction(smallDial.ConnectionId, "Duplicate connection")], small.TakeActions());
        Assert.False(small.DialOpened(smallDial.ConnectionId));
        small.ConnectionClosed(smallDial.ConnectionId);
        Assert.True(small.IsConnectedTo(Key(0xF0)));
        Assert.Equal(1, small.ConnectionCount);
        Assert.True(big.DialOpened(bigDial.ConnectionId));
        Assert.Equal(1, big.ConnectionCount);
    }

    [Fact]
    public void Simultaneous_dials_that_both_opened_before_the_duplicates_arrive_still_keep_the_larger_keys_dial()
    {
        // The swarm dials peers found while its announce is in flight, so both sides' dials can open (secret-stream
        // headers exchanged, no data yet: not "outdated") before either sees the other's as a server connection.
        var (big, small, bigDial, smallDial) = DialEachOther();
        Assert.True(big.DialOpened(bigDial.ConnectionId));
        Assert.True(small.DialOpened(smallDial.ConnectionId));

        Assert.Null(big.IncomingConnection(Key(0x0F))); // the small key's dial, arriving at the big one: dropped
        Assert.Equal([new KeepAliveAction(bigDial.ConnectionId)], big.TakeActions());
        Assert.NotNull(small.IncomingConnection(Key(0xF0))); // the big key's dial, arriving at the small one: kept
        Assert.Equal([new CloseAction(smallDial.ConnectionId, "Duplicate connection")], small.TakeActions());
        small.ConnectionClosed(smallDial.ConnectionId);
        Assert.Equal((1, 1), (big.ConnectionCount, small.ConnectionCount));
        Assert.True(big.IsConnectedTo(Key(0x0F)) && small.IsConnectedTo(Key(0xF0)));
    }

    [Fact]
    public void A_new_incoming_connection_replaces_one_that_already_carried_data_both_ways()
    {
        var exchanged = new HashSet<long>();
        var engine = Joined(out _, key: 0xF0, exchanged: exchanged.Contains);
        var first = engine.IncomingConnection(Key(0x0F))!.Value;
        Assert.Null(engine.IncomingConnection(Key(0x0F))); // fresh duplicate: the larger key keeps the old one
        engine.TakeActions();
        exchanged.Add(first);
        var second = engine.IncomingConnection(Key(0x0F));
        Assert.NotNull(second);
        Assert.Equal([new CloseAction(first, "Duplicate connection")], engine.TakeActions());
        engine.ConnectionClosed(first);
        Assert.True(engine.IsConnectedTo(Key(0x0F)));
    }

    [Fact]
    public void An_incoming_connection_from_our_own_key_is_refused()
    {
        var engine = Joined(out _);
        Assert.Null(engine.IncomingConnection(Key(0x50)));
    }

    [Fact]
    public void A_peer_never_reached_is_retried_with_hyperswarms_backoffs_then_dropped_until_found_again()
    {
        var engine = Joined(out var time);
        engine.PeerFound(Topic, Key(0x10));
        var dial = Assert.Single(engine.Take<DialAction>());
        // Never connected: attempts 1 → M (5–6.5 s), 2 → L, 3 → L, each fired after 0.66 T to 1.32 T.
        (double Min, double Max)[] windows = [(0.66 * 5000, 1.32 * 6500), (0.66 * 15000, 1.32 * 17500), (0.66 * 15000, 1.32 * 17500)];
        foreach (var (min, max) in windows)
        {
            engine.ConnectionClosed(dial.ConnectionId);
            var (action, elapsed) = engine.RunUntilAction(time, TimeSpan.FromMinutes(1));
            dial = Assert.IsType<DialAction>(action);
            Assert.InRange(elapsed.TotalMilliseconds, min, max);
        }
        engine.ConnectionClosed(dial.ConnectionId); // attempts 4: given up
        Assert.Null(engine.RunUntilAction(time, TimeSpan.FromMinutes(5)).Action); // (the topic refresh is 10 min away)

        engine.PeerFound(Topic, Key(0x10)); // rediscovered by a refresh: dialled at once
        Assert.Single(engine.Take<DialAction>());
    }

    [Fact]
    public void A_proven_peer_is_retried_fast_and_a_long_connection_resets_its_attempts()
    {
        var engine = Joined(out var time);
        engine.PeerFound(Topic, Key(0x10));
        var dial = Assert.Single(engine.Take<DialAction>());
        engine.DialOpened(dial.ConnectionId);
        time.Advance(TimeSpan.FromSeconds(1));
        engine.ConnectionClosed(dial.ConnectionId); // proven, attempts 1 → S (1–2 s)
        var (action, elapsed) = engine.RunUntilAction(time, TimeSpan.FromMinutes(1));
        dial = Assert.IsType<DialAction>(action);
        Assert.InRange(elapsed.TotalMilliseconds, 0.66 * 1000, 1.32 * 2000);

        engine.ConnectionClosed(dial.ConnectionId); // proven, attempts 2 → M
        (action, elapsed) = engine.RunUntilAction(time, TimeSpan.FromMinutes(1));
        dial = Assert.IsType<DialAction>(action);
        Assert.InRange(elapsed.TotalMilliseconds, 0.66 * 5000, 1.32 * 6500);

        engine.DialOpened(dial.ConnectionId);
        time.Advance(TimeSpan.FromSeconds(20)); // lasted ≥ 15 s: attempts back to 1 → S
        engine.ConnectionClosed(dial.ConnectionId);
        (action, elapsed) = engine.RunUntilAction(time, TimeSpan.FromMinutes(1));
        Assert.IsType<DialAction>(action);
        Assert.InRange(elapsed.TotalMilliseconds, 0.66 * 1000, 1.32 * 2000);
    }

    [Fact]
    public void No_retry_after_the_peers_topic_is_left_and_server_connections_are_never_retried()
    {
        var engine = Joined(out var time);
        engine.PeerFound(Topic, Key(0x10));
        var dial = Assert.Single(engine.Take<DialAction>());
        var incoming = engine.IncomingConnection(Key(0x20))!.Value;
        engine.ConnectionClosed(incoming);
        engine.Leave(Topic);
        engine.TakeActions();
        engine.ConnectionClosed(dial.ConnectionId);
        Assert.Null(engine.NextDue);
        Assert.Equal(0, engine.ConnectionCount);
    }

    [Fact]
    public void When_the_smaller_keys_dial_opened_first_the_larger_keys_incoming_dial_still_replaces_it()
    {
        var small = Joined(out var time, key: 0x0F);
        small.PeerFound(Topic, Key(0xF0));
        var dial = Assert.Single(small.Take<DialAction>());
        Assert.True(small.DialOpened(dial.ConnectionId));
        var incoming = small.IncomingConnection(Key(0xF0)); // nothing exchanged yet on the open dial
        Assert.NotNull(incoming);
        Assert.Equal([new CloseAction(dial.ConnectionId, "Duplicate connection")], small.TakeActions());
        small.ConnectionClosed(dial.ConnectionId);
        Assert.True(small.IsConnectedTo(Key(0xF0)));
        Assert.Equal(1, small.ConnectionCount);
        // The retry the close scheduled falls due and is skipped while connected (the refresh is 10 min away).
        Assert.Null(small.RunUntilAction(time, TimeSpan.FromMinutes(5)).Action);
    }

    [Fact]
    public void A_peer_found_on_several_replies_is_queued_once()
    {
        var engine = Joined(out _, options: new SwarmOptions { MaxParallel = 1 });
        engine.PeerFound(Topic, Key(1));
        for (var i = 0; i < 5; i++) engine.PeerFound(Topic, Key(2));
        Assert.Single(engine.Take<DialAction>());
        Assert.Equal(1, engine.Queued);
    }
}
