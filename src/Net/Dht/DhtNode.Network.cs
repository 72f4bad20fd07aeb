// Learning where we are (index.js _bootstrap, _updateNetworkState, _checkIfFirewalled, _ontick;
// spec/hyperswarm.md §2.6, §2.8).
//   * Bootstrap: a FIND_NODE query for our own table id, seeded from the bootstrap nodes. On its first
//     reply a firewalled node sends that responder a PING_NAT for its server socket: if the answer comes
//     back before the query ends, we run the firewall check. Nodes created with Ephemeral = false then
//     try to become persistent.
//   * NAT sampling: the `to` of replies and requests carrying a valid id (once per node, again after
//     360 ticks), plus one sample per distinct bootstrap node without an id.
//   * Firewall check: PING_NAT to the 5 latest nodes (topped up with bootstrap nodes), asking them to
//     answer on our server socket. Open means ≥ 3 (≥ 1 if fewer were asked) answers from hosts whose
//     datagrams did reach the server socket, agreeing on our sampled host, with the server socket's own
//     port (no remapping).
//   * Persistent: not firewalled, consistent host and port: id = BLAKE2b-256(ipv4Address(host, port)),
//     the table is rebuilt under that id, and BecamePersistent fires (hyperdht then starts storing).
//   * Adaptive nodes try that after 240 stable ticks (~20 min), again every 720 ticks if the NAT host
//     changed; a tick gap over 15 s (sleep) makes them ephemeral again.
using System.Buffers.Binary;
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed partial class DhtNode
{
    private const int StableTicks = 240;
    private const int MoreStableTicks = 3 * StableTicks;
    private const int RefreshTicks = 60;

    private readonly List<BootstrapNode> _bootstrapNodes = [];
    private readonly List<Ipv4EndPoint> _resolvedBootstrap = [];
    private readonly HashSet<Ipv4EndPoint> _nonPersistentSamples = [];
    private readonly HostRateLimiter _rateLimiter;
    private readonly bool _adaptive;
    private readonly bool _forcePersistent;
    private readonly bool _quickFirewall;
    private readonly List<DhtQuery> _queries = [];
    private NatSampler _nat = new();
    private Ipv4EndPoint _serverLocal;
    private Ipv4EndPoint _clientLocal;
    private long _tick;
    private int _refreshTicks;
    private int _stableTicks;
    private uint? _lastHost;
    private long _nextTickAt;
    private long _lastTickAt;
    private int _downHintsSentThisTick;

    internal Lock Gate => _gate;

    internal ReadOnlySpan<byte> TableId => Table.Id;

    internal bool Allows(Ipv4EndPoint node) => _options.FilterNode is not { } f || f(node);

    internal List<RoutingEntry> TableClosest(byte[] target, int k) => Table.Closest(target, k);

    internal void QueryEnded(DhtQuery query) => _queries.Remove(query);

    private async Task BootstrapAsync(CancellationToken cancellationToken)
    {
        await ResolveBootstrapNodesAsync(cancellationToken).ConfigureAwait(false);

        var first = Firewalled && _quickFirewall && !_forcePersistent;
        var testNat = false;
        var onlyFirewall = !_forcePersistent;

        for (var i = 0; i < 2; i++)
        {
            DhtQuery query;
            lock (_gate)
            {
                if (_disposed) return;
                query = BackgroundQuery(Table.Id);
                query.ReplyReceived += reply =>
                {
                    if (!first) return;
                    first = false;
                    var value = new byte[2];
                    BinaryPrimitives.WriteUInt16LittleEndian(value, _serverLocal.Port);
                    var req = CreateRequest(reply.From, null, null, true, DhtCommand.PingNat, null, value);
                    if (req is null) return;
                    req.OnResponse = _ => testNat = true;
                    Send(req);
                };
            }
            try { await query.Completion.ConfigureAwait(false); }
            catch (Exception) when (!cancellationToken.IsCancellationRequested) { }

            if (Bootstrapped || (!testNat && !_forcePersistent)) break;
            if (!await UpdateNetworkStateAsync(onlyFirewall, cancellationToken).ConfigureAwait(false)) break;
        }

        lock (_gate)
        {
            if (Bootstrapped || _disposed) return;
            Bootstrapped = true;
            DhtLog.Bootstrapped(_log, Table.Count, Firewalled, Ephemeral);
            Ready?.Invoke();
        }
    }

    private async Task ResolveBootstrapNodesAsync(CancellationToken cancellationToken)
    {
        var resolved = new List<Ipv4EndPoint>();
        try
        {
            foreach (var b in _bootstrapNodes)
            {
                try
                {
                    if (await b.ResolveAsync(cancellationToken).ConfigureAwait(false) is { } e) resolved.Add(e);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    DhtLog.BootstrapUnresolved(_log, b.ToString(), e);
                }
            }
        }
        finally { MarkBootstrapResolved(resolved); }
    }

    // Under the lock or not: the list is replaced under it, and waiters are released after.
    private void MarkBootstrapResolved(IEnumerable<Ipv4EndPoint> resolved)
    {
        lock (_gate)
        {
            _resolvedBootstrap.Clear();
            _resolvedBootstrap.AddRange(resolved);
        }
        _bootstrapResolved.TrySetResult();
    }

    private DhtQuery BackgroundQuery(byte[] target)
    {
        _refreshTicks = RefreshTicks;
        var background = Math.Min(_options.Concurrency, Math.Max(2, _options.Concurrency / 8));
        var query = StartQuery(target, true, DhtCommand.FindNode, null, new DhtQueryOptions { Concurrency = background });
        query.ReplyReceived += _ => query.Concurrency = _inflight.Count < 3 ? _options.Concurrency : background;
        return query;
    }

    private DhtQuery StartQuery(byte[] target, bool @internal, ulong command, byte[]? value, DhtQueryOptions? options)
    {
        _refreshTicks = RefreshTicks;
        var query = new DhtQuery(this, target, @internal, command, value, options, _options.K, _options.Concurrency, _options.QueryRetries);
        _queries.Add(query);
        query.Start(options?.Nodes is null ? Table.Closest(target) : [], _resolvedBootstrap);
        return query;
    }

    private void Refresh()
    {
        var node = Table.Random(_random);
        BackgroundQuery(node?.Id ?? Table.Id);
    }

    internal void SendDownHint(Ipv4EndPoint to, Ipv4EndPoint down)
    {
        if (_options.DownHintsPerTick >= 0 && _downHintsSentThisTick >= _options.DownHintsPerTick) return;
        _downHintsSentThisTick++;
        var value = new byte[Ipv4EndPoint.Size];
        new CompactWriter(value).WriteIpv4EndPoint(down);
        var req = CreateRequest(to, null, null, true, DhtCommand.DownHint, null, value);
        if (req is not null) Send(req);
    }

    private void NatAdd(Ipv4EndPoint seen)
    {
        var host = _nat.Host;
        var port = _nat.Port;
        _nat.Add(seen);
        if (host != _nat.Host || port != _nat.Port) DhtLog.NatUpdate(_log, _nat.Host is { } h ? new Ipv4EndPoint(h, 0).Host : "?", _nat.Port);
    }

    private void SampleBootstrapMaybe(Ipv4EndPoint from, Ipv4EndPoint to)
    {
        if (_nonPersistentSamples.Count >= Math.Max(1, _bootstrapNodes.Count)) return;
        if (!_nonPersistentSamples.Add(from)) return;
        NatAdd(to);
    }

    private void OnTick(long now)
    {
        var gap = _time.GetElapsedTime(_lastTickAt, now);
        if (gap > 3 * _options.TickInterval) OnWakeUp(gap);
        else _tick++;
        _lastTickAt = now;
        _rateLimiter.Prune(NowMs);
        if (Ticked is { } ticked) SafeInvoke(() => ticked(gap));

        if (!Bootstrapped) return;

        if (_adaptive && Ephemeral && --_stableTicks <= 0)
        {
            if (_lastHost == _nat.Host) _stableTicks = MoreStableTicks;
            else _ = UpdateNetworkStateAsync(false, _stop.Token);
        }

        if ((_tick & 7) == 0) PingSome();
        if (((_tick & 63) == 0 && _nodes.Count < Table.K) || --_refreshTicks <= 0) Refresh();
        _downHintsSentThisTick = 0;
    }

    private void OnWakeUp(TimeSpan gap)
    {
        DhtLog.WokeUp(_log, gap);
        _tick += 2 * OldNode;
        _tick += 8 - (_tick & 7) - 2;
        _stableTicks = MoreStableTicks;
        _refreshTicks = 1;
        _lastHost = null;
        if (_adaptive && !Ephemeral) Ephemeral = true;
    }

    private async Task<bool> UpdateNetworkStateAsync(bool onlyFirewall, CancellationToken cancellationToken)
    {
        uint? host;
        ushort port;
        NatSampler sampler;
        bool firewalled;
        lock (_gate)
        {
            if (!Ephemeral || _disposed) return false;
            if (onlyFirewall && !Firewalled) return false;
            host = _nat.Host;
            port = _nat.Port;
            if (!onlyFirewall)
            {
                _stableTicks = MoreStableTicks;
                _lastHost = host;
            }
            if (host is null || port == 0) return false;
            sampler = Firewalled ? new NatSampler() : _nat;
            firewalled = Firewalled;
        }

        if (firewalled && await CheckIfFirewalledAsync(sampler, cancellationToken).ConfigureAwait(false)) return false;

        lock (_gate)
        {
            if (_disposed) return false;
            Firewalled = false;
            if (!Ephemeral || host != _nat.Host || port != _nat.Port) return false;
            if (sampler.Host != host || sampler.Port == 0) return false;

            var id = NodeId.FromEndPoint(new Ipv4EndPoint(sampler.Host.Value, sampler.Port));
            if (!onlyFirewall) Ephemeral = false;
            if (sampler != _nat)
            {
                _nonPersistentSamples.Clear();
                _nat = sampler;
            }
            if (!id.AsSpan().SequenceEqual(Table.Id))
            {
                var nodes = Table.ToList();
                Table = NewTable(id);
                foreach (var node in nodes)
                {
                    if (node.Id.AsSpan().SequenceEqual(id)) continue;
                    if (Table.Add(node) is not (RoutingTable.AddResult.Added or RoutingTable.AddResult.Updated)) _nodes.Remove(node);
                }
                if (Bootstrapped) Refresh();
            }
            if (!Ephemeral)
            {
                DhtLog.Persistent(_log, new Ipv4EndPoint(sampler.Host.Value, sampler.Port).ToString(), Convert.ToHexStringLower(id));
                SafeInvoke(() => BecamePersistent?.Invoke());
            }
            return true;
        }
    }

    private async Task<bool> CheckIfFirewalledAsync(NatSampler sampler, CancellationToken cancellationToken)
    {
        var tasks = new List<Task<DhtReply?>>();
        HashSet<uint> hosts;
        lock (_gate)
        {
            var nodes = _nodes.LatestFirst(5).ConvertAll(n => n.EndPoint);
            if (nodes.Count < 5) nodes.AddRange(_resolvedBootstrap);
            if (nodes.Count == 0) return true;
            hosts = _serverSocketHosts = [];
            var value = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(value, _serverLocal.Port);
            foreach (var node in nodes)
            {
                var tcs = new TaskCompletionSource<DhtReply?>(TaskCreationOptions.RunContinuationsAsynchronously);
                var req = CreateRequest(node, null, null, true, DhtCommand.PingNat, null, value);
                if (req is null) break;
                req.OnResponse = r => tcs.TrySetResult(r);
                req.OnError = _ => tcs.TrySetResult(null);
                Send(req);
                tasks.Add(tcs.Task);
            }
        }

        var replies = await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);

        lock (_gate)
        {
            var count = 0;
            foreach (var r in replies)
            {
                if (r is null || !hosts.Contains(r.From.Address)) continue;
                count++;
                sampler.Add(r.To);
            }
            _serverSocketHosts = null;
            var firewalled = count < (tasks.Count >= 5 ? 3 : 1)
                || sampler.Host is null || _nat.Host != sampler.Host
                || sampler.Port == 0 || sampler.Port != _serverLocal.Port;
            DhtLog.FirewallCheck(_log, count, tasks.Count, firewalled);
            return firewalled;
        }
    }
}
