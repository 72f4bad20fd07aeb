// A hyperswarm 4 swarm over one HyperDht node: SwarmEngine decides, this class runs its actions against
// the DHT (announce, lookup, unannounce, connect by public key) and feeds back what happened. One key
// pair is both the swarm identity and the DHT server key; the server listens from the first server join.
// The Connection event hands out each surviving connection once: a plaintext duplex pipe (secret-stream)
// with RemotePublicKey and IsInitiator (true iff we dialled). Nothing here knows about cabals.
using System.Collections.Concurrent;
using Cabal.Net.Crypto;
using Cabal.Net.HyperDht;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Swarm;

public sealed class HyperSwarm : IAsyncDisposable
{
    private readonly HyperDht.HyperDht _dht;
    private readonly KeyPair _keyPair;
    private readonly SwarmEngine _engine;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<long, HyperDhtConnection> _open = new();
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _dials = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Lock _serverGate = new();
    private readonly Task _loop;
    private HyperDhtServer? _server;
    private int _disposed;

    /// <param name="dht">A started node; the swarm does not own it.</param>
    /// <param name="keyPair">The swarm identity. Default: the node's key pair.</param>
    public HyperSwarm(HyperDht.HyperDht dht, KeyPair? keyPair = null, SwarmOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dht);
        options ??= new SwarmOptions();
        _dht = dht;
        _keyPair = keyPair ?? dht.DefaultKeyPair;
        _time = options.Time;
        _log = options.LoggerFactory.CreateLogger(typeof(HyperSwarm).FullName!);
        _engine = new SwarmEngine(new Key32(_keyPair.PublicKey), options,
            id => _open.TryGetValue(id, out var c) && c.SecretStream.RawBytesRead > 0 && c.SecretStream.RawBytesWritten > 0);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Our swarm public key (what peers find in topic records and dial).</summary>
    public byte[] PublicKey => _keyPair.PublicKey;

    /// <summary>The rules and state underneath (connection counts, topics).</summary>
    public SwarmEngine Engine => _engine;

    /// <summary>Each surviving connection, once. Handlers run on the swarm's tasks; keep them short.</summary>
    public event Action<HyperDhtConnection>? Connection;

    /// <summary>A topic was announced (each refresh). Runs on the swarm's tasks; keep it short.</summary>
    public event Action<Key32>? Announced;

    /// <summary>A lookup returned a peer not known before (topic, peer key). Runs on the swarm's tasks; keep it short.</summary>
    public event Action<Key32, Key32>? PeerFound;

    /// <summary>Joins <paramref name="topic"/> (32 bytes): server announces us on it, client dials the peers found.</summary>
    public void Join(ReadOnlySpan<byte> topic, bool server = true, bool client = true)
    {
        var key = new Key32(topic);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (server) EnsureListening();
        _engine.Join(key, server, client);
        _wake.Release();
    }

    /// <summary>Leaves a topic (unannouncing it if announced). Connections stay; they are not retried once closed.</summary>
    public void Leave(ReadOnlySpan<byte> topic)
    {
        if (_engine.Leave(new Key32(topic))) _wake.Release();
    }

    private void EnsureListening()
    {
        lock (_serverGate)
        {
            if (_server is not null) return;
            _server = _dht.Listen(_keyPair, OnIncoming);
        }
    }

    private void OnIncoming(HyperDhtConnection conn)
    {
        var id = Volatile.Read(ref _disposed) != 0 ? null : _engine.IncomingConnection(new Key32(conn.RemotePublicKey));
        _wake.Release();
        if (id is null)
        {
            _ = conn.DisposeAsync().AsTask();
            return;
        }
        Track(id.Value, conn);
    }

    private void Track(long id, HyperDhtConnection conn)
    {
        _open[id] = conn;
        SwarmLog.Connected(_log, conn.IsInitiator ? "to" : "from", new Key32(conn.RemotePublicKey));
        _ = conn.Closed.ContinueWith(_ =>
        {
            _open.TryRemove(id, out var _);
            _engine.ConnectionClosed(id);
            _wake.Release();
        }, TaskScheduler.Default);
        try { Connection?.Invoke(conn); }
        catch (Exception e) { SwarmLog.HandlerFailed(_log, e); }
    }

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            _engine.Tick();
            foreach (var action in _engine.TakeActions()) Run(action, token);
            var due = _engine.NextDue ?? TimeSpan.FromMinutes(1);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
            var delay = Task.Delay(due, _time, wait.Token);
            var woken = _wake.WaitAsync(wait.Token);
            try { await Task.WhenAny(delay, woken).ConfigureAwait(false); }
            finally { wait.Cancel(); }
            try { await Task.WhenAll(delay, woken).ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    private void Run(SwarmAction action, CancellationToken token)
    {
        switch (action)
        {
            case AnnounceAction a:
                _ = QueryAsync(a.Topic, async () =>
                {
                    // An announce is a lookup too: the peers on the topic come back in its replies and are
                    // dialled at once, while it is still finding the closest nodes (hyperswarm's
                    // peer-discovery reads the announce's query stream the same way).
                    var relays = _server?.RelayAddresses ?? [];
                    await foreach (var reply in _dht.Announce(a.Topic.ToArray(), _keyPair, relays, token).ConfigureAwait(false))
                        OnPeers(a.Topic, reply);
                    SwarmLog.Announced(_log, a.Topic);
                    Raise(() => Announced?.Invoke(a.Topic));
                    // Peers that announced while ours was in flight were not in its replies: one lookup more.
                    await LookupAsync(a.Topic, token).ConfigureAwait(false);
                });
                break;
            case LookupAction l:
                _ = QueryAsync(l.Topic, async () =>
                {
                    await LookupAsync(l.Topic, token).ConfigureAwait(false);
                    if (l.Unannounce) await _dht.UnannounceAsync(l.Topic.ToArray(), _keyPair, token).ConfigureAwait(false);
                });
                break;
            case UnannounceAction u:
                _ = QueryAsync(u.Topic, () => _dht.UnannounceAsync(u.Topic.ToArray(), _keyPair, token));
                break;
            case DialAction d:
                _ = DialAsync(d, token);
                break;
            case CloseAction c:
                if (_dials.TryGetValue(c.ConnectionId, out var cts)) cts.Cancel();
                if (_open.TryGetValue(c.ConnectionId, out var conn)) _ = conn.DisposeAsync().AsTask();
                break;
            case KeepAliveAction k:
                // hyperswarm index.js:365: tell the peer the kept connection is alive.
                if (_open.TryGetValue(k.ConnectionId, out var kept)) _ = kept.SecretStream.SendKeepAliveAsync(); // never throws
                break;
        }
    }

    private async Task LookupAsync(Key32 topic, CancellationToken token)
    {
        await foreach (var reply in _dht.Lookup(topic.ToArray(), token).ConfigureAwait(false))
            OnPeers(topic, reply);
        _wake.Release();
    }

    private void OnPeers(Key32 topic, LookupNodeReply reply)
    {
        foreach (var peer in reply.Peers)
            if (peer.PublicKey is { Length: 32 })
            {
                var key = new Key32(peer.PublicKey);
                if (_engine.PeerFound(topic, key, peer.RelayAddresses))
                {
                    Raise(() => PeerFound?.Invoke(topic, key));
                    _wake.Release(); // dial it now, not when the whole query has finished
                }
            }
    }

    private void Raise(Action handler)
    {
        try { handler(); }
        catch (Exception e) { SwarmLog.HandlerFailed(_log, e); }
    }

    private async Task QueryAsync(Key32 topic, Func<Task> query)
    {
        try { await query().ConfigureAwait(false); }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
        catch (Exception e) { SwarmLog.QueryFailed(_log, topic, e); }
        _engine.QueryFinished(topic);
        _wake.Release();
    }

    private async Task DialAsync(DialAction dial, CancellationToken token)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        _dials[dial.ConnectionId] = cts;
        try
        {
            var options = new ConnectOptions { KeyPair = _keyPair, RelayAddresses = dial.RelayAddresses.Count > 0 ? dial.RelayAddresses : null };
            var conn = await _dht.ConnectAsync(dial.PublicKey.ToArray(), options, cts.Token).ConfigureAwait(false);
            _dials.TryRemove(dial.ConnectionId, out _);
            if (!_engine.DialOpened(dial.ConnectionId))
            {
                await conn.DisposeAsync().ConfigureAwait(false);
                _engine.ConnectionClosed(dial.ConnectionId);
            }
            else Track(dial.ConnectionId, conn);
        }
        catch (Exception e)
        {
            _dials.TryRemove(dial.ConnectionId, out _);
            if (e is not OperationCanceledException) SwarmLog.DialFailed(_log, dial.PublicKey, e);
            _engine.ConnectionClosed(dial.ConnectionId);
        }
        _wake.Release();
    }

    /// <summary>Leaves every topic (unannouncing), stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var (topic, _, _) in _engine.Topics) _engine.Leave(topic);
        var unannounces = _engine.TakeActions().OfType<UnannounceAction>()
            .Select(async u =>
            {
                try { await _dht.UnannounceAsync(u.Topic.ToArray(), _keyPair).WaitAsync(TimeSpan.FromSeconds(10), _time).ConfigureAwait(false); }
                catch (Exception e) { SwarmLog.QueryFailed(_log, u.Topic, e); }
            });
        await Task.WhenAll(unannounces).ConfigureAwait(false);
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        HyperDhtServer? server;
        lock (_serverGate) server = _server;
        if (server is not null) await server.DisposeAsync().ConfigureAwait(false);
        foreach (var conn in _open.Values) await conn.DisposeAsync().ConfigureAwait(false);
        // _stop and _wake stay undisposed: late dial and close continuations may still touch them.
    }
}
