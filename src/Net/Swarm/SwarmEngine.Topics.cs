// Topics: join/leave with server and client roles, the refresh schedule (peer-discovery.js:51-64,
// :72-157), and peers reported by announce and lookup queries (index.js:450-458).
using Cabal.Net.Compact;

namespace Cabal.Net.Swarm;

public sealed partial class SwarmEngine
{
    private readonly Dictionary<Key32, TopicState> _topics = [];

    private sealed class TopicState(Key32 topic)
    {
        public Key32 Topic { get; } = topic;
        public bool Server { get; set; }
        public bool Client { get; set; }
        /// <summary>We announced it and have not unannounced since.</summary>
        public bool Announced { get; set; }
        /// <summary>Whether an announce was ever sent: only the first one clears old records.</summary>
        public bool EverAnnounced { get; set; }
        public bool QueryRunning { get; set; }
        public bool RefreshAgain { get; set; }
        public long? RefreshAt { get; set; }
        public long ScheduledAt { get; set; }
        public long Delay { get; set; }
    }

    /// <summary>The topics joined, with their roles.</summary>
    public IReadOnlyList<(Key32 Topic, bool Server, bool Client)> Topics
    {
        get { lock (_gate) return _topics.Values.Select(t => (t.Topic, t.Server, t.Client)).ToList(); }
    }

    /// <summary>
    /// Joins a topic, or changes the roles of a joined one. Server: announce ourselves so peers dial us;
    /// client: look the topic up and dial the peers found. Refreshes at once.
    /// </summary>
    public void Join(Key32 topic, bool server = true, bool client = true)
    {
        if (!server && !client) throw new ArgumentException("Join as server, client or both.");
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out var state)) _topics[topic] = state = new TopicState(topic);
            state.Server = server;
            state.Client = client;
            SwarmLog.Joined(_log, topic, server, client);
            Refresh(state);
        }
    }

    /// <summary>Leaves a topic; unannounces it if we had announced it. False if it was not joined.</summary>
    public bool Leave(Key32 topic)
    {
        lock (_gate)
        {
            if (!_topics.Remove(topic, out var state)) return false;
            // peer-discovery.js destroy(): unannounce only what was announced.
            if (state.Announced) _actions.Add(new UnannounceAction(topic));
            SwarmLog.Left(_log, topic, state.Announced);
            foreach (var peer in _peers.Values.ToList()) MaybeForget(peer);
            return true;
        }
    }

    /// <summary>The announce or lookup of a topic has ended (success or failure): the next one is scheduled.</summary>
    public void QueryFinished(Key32 topic)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out var state) || !state.QueryRunning) return;
            state.QueryRunning = false;
            if (state.RefreshAgain)
            {
                state.RefreshAgain = false;
                Refresh(state);
                return;
            }
            ScheduleRefresh(state, NowMs, eager: false);
        }
    }

    /// <summary>
    /// A query on a topic returned a peer. Queued for dialling if we are a client of the topic, it is not
    /// us, and we have no connection to it (index.js:450-458). A new peer beyond MaxKnownPeers is
    /// dropped and counted (hyperswarm keeps every one; thousands announced on a topic must not grow
    /// the queue without bound). True when the peer was not known before.
    /// </summary>
    public bool PeerFound(Key32 topic, Key32 publicKey, IReadOnlyList<Ipv4EndPoint>? relayAddresses = null)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out var state) || !state.Client) return false;
            if (publicKey == _publicKey) return false;
            var isNew = !_peers.ContainsKey(publicKey);
            if (isNew && _peers.Count >= _options.MaxKnownPeers)
            {
                if (_droppedPeers++ % 1000 == 0) SwarmLog.TooManyPeers(_log, topic, _options.MaxKnownPeers, _droppedPeers);
                return false;
            }
            var peer = Upsert(publicKey, relayAddresses);
            peer.Topics.Add(topic);
            if (_byKey.ContainsKey(publicKey)) return isNew;
            if (!peer.Prioritized || !peer.Client) peer.Reset();
            if (peer.UpdatePriority()) Enqueue(peer);
            AttemptDials();
            return isNew;
        }
    }

    private void Refresh(TopicState state)
    {
        if (state.QueryRunning)
        {
            state.RefreshAgain = true;
            return;
        }
        state.QueryRunning = true;
        state.RefreshAt = null;
        if (state.Server)
        {
            _actions.Add(new AnnounceAction(state.Topic, Clear: !state.EverAnnounced));
            state.Announced = state.EverAnnounced = true;
        }
        else
        {
            _actions.Add(new LookupAction(state.Topic, Unannounce: state.Announced));
            state.Announced = false;
        }
    }

    private void ScheduleRefresh(TopicState state, long now, bool eager)
    {
        var jitter = (long)Math.Round(_random.NextDouble() * _options.RefreshJitter.TotalMilliseconds);
        state.Delay = eager ? jitter : (long)_options.RefreshInterval.TotalMilliseconds + jitter;
        state.ScheduledAt = now;
        state.RefreshAt = now + state.Delay;
    }

    private void RunDueRefreshes(long now)
    {
        foreach (var state in _topics.Values)
        {
            if (state.RefreshAt is not { } at || at > now) continue;
            // peer-discovery.js:58-61: far later than due means the machine slept; wait the jitter alone.
            var late = now - state.ScheduledAt - state.Delay;
            if (late > _options.RefreshGrace.TotalMilliseconds)
            {
                SwarmLog.RefreshOverdue(_log, state.Topic, late);
                ScheduleRefresh(state, now, eager: true);
                continue;
            }
            Refresh(state);
        }
    }
}
