// One side's holepunch attempt (hyperdht lib/holepuncher.js; spec/hyperswarm.md §3.10): a fresh UDX
// socket of the node's Udx instance (more for the birthday punch), the NAT analysis of that socket, and
// the probes. The decisions are NatAnalyzer's and PunchStrategy's; this class only sends and waits.
//   * Datagrams on a punch socket: 1 byte (0x00) is a punch probe; anything longer is dht-rpc (NAT
//     sampling pings, PEER_HOLEPUNCH traffic) and goes to the DHT node.
//   * A probe received by the server (not the initiator) is echoed to its sender; the first probe the
//     client receives connects it: OnConnect(that socket, the sender).
//   * NAT sampling pings up to 4 routing-table nodes (the newest, skipping the 5 newest if ≥ 8 are known)
//     from the punch socket without retries; one more round if too few answered.
//   * Destroy closes every socket except the one a stream was connected on (that socket now belongs to
//     the connection) and calls OnAbort unless connected.
using System.Net;
using Cabal.Net.Compact;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht.Transport;
using Cabal.Net.Udx;

namespace Cabal.Net.HyperDht.Holepunch;

/// <summary>An address of the remote to punch to; verified when the remote proved it receives there.</summary>
public readonly record struct PunchAddress(Ipv4EndPoint Address, bool Verified);

internal sealed class Holepuncher
{
    private const int MaxReopens = 3;
    private static readonly byte[] Probe = [0];

    private readonly HyperDht _dht;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<UdxDatagramSocket> _sockets = [];
    private readonly HashSet<Ipv4EndPoint> _pinged = [];
    private UdxDatagramSocket _socket;
    private TaskCompletionSource _analyzing = NewSignal();
    private Task<bool>? _reopening;
    private Task<bool>? _punching;
    private bool _randomized;
    private bool _autoSampling;

    public Holepuncher(HyperDht dht, bool isInitiator, FirewallType remoteFirewall)
    {
        _dht = dht;
        IsInitiator = isInitiator;
        RemoteFirewall = remoteFirewall;
        _socket = AddSocket();
        Nat = new NatAnalyzer(dht.Node.Firewalled);
        AutoSample(retry: true);
    }

    public bool IsInitiator { get; }

    public NatAnalyzer Nat { get; private set; }

    /// <summary>The socket PEER_HOLEPUNCH traffic goes through (and, for the client, the socket probes leave from).</summary>
    public UdxDatagramSocket Socket => _socket;

    public FirewallType RemoteFirewall { get; private set; }
    public IReadOnlyList<PunchAddress> RemoteAddresses { get; private set; } = [];
    public bool RemoteHolepunching { get; private set; }

    public bool Punching { get; private set; }
    public bool Connected { get; private set; }
    public bool Destroyed { get; private set; }

    /// <summary>The socket a probe connected us on (client), once connected.</summary>
    public UdxSocket? ConnectedSocket { get; private set; }

    public long ProbesSent => Interlocked.Read(ref _probesSent);
    private long _probesSent;

    public Action<UdxSocket, IPEndPoint>? OnConnect { get; set; }
    public Action? OnAbort { get; set; }

    public bool Owns(UdxSocket socket)
    {
        lock (_gate) return _sockets.Exists(s => s.Socket == socket);
    }

    // ---- remote state ------------------------------------------------------------------------------

    public void UpdateRemote(bool punching, FirewallType firewall, IReadOnlyList<Ipv4EndPoint>? addresses, uint? verifiedHost)
    {
        lock (_gate)
        {
            var list = new List<PunchAddress>();
            foreach (var a in addresses ?? [])
                list.Add(new PunchAddress(a, verifiedHost == a.Address || RemoteAddresses.Any(r => r.Verified && r.Address.Address == a.Address)));
            RemoteFirewall = firewall;
            RemoteAddresses = list;
            RemoteHolepunching = punching;
        }
    }

    /// <summary>A NAT sample from a PEER_HOLEPUNCH exchange on our punch socket.</summary>
    public void AddSample(Ipv4EndPoint seen, Ipv4EndPoint from)
    {
        lock (_gate)
            if (Nat.Add(seen, from) && Nat.Resolved) _analyzing.TrySetResult();
    }

    // ---- analysis ----------------------------------------------------------------------------------

    /// <summary>
    /// Waits for the NAT analysis. Unstable (our side UNKNOWN, or both RANDOM): false, unless
    /// <paramref name="allowReopen"/>, in which case up to 3 fresh sockets are tried; true if one is CONSISTENT.
    /// </summary>
    public async Task<bool> AnalyzeAsync(bool allowReopen, CancellationToken cancellationToken)
    {
        await _analyzing.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!PunchStrategy.Unstable(Nat.Firewall, RemoteFirewall)) return true;
        if (!allowReopen) return false;
        lock (_gate) _reopening ??= ReopenAsync();
        return await _reopening.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> ReopenAsync()
    {
        for (var i = 0; i < MaxReopens && PunchStrategy.Unstable(Nat.Firewall, RemoteFirewall) && !Done && !Punching; i++)
        {
            Task analyzing;
            lock (_gate)
            {
                if (Destroyed) break;
                var previous = _socket;
                _sockets.Remove(previous);
                previous.Dispose();
                _socket = AddSocket();
                Nat = new NatAnalyzer(_dht.Node.Firewalled);
                _analyzing.TrySetResult();
                _analyzing = NewSignal();
                _autoSampling = false;
                _pinged.Clear();
                analyzing = _analyzing.Task;
            }
            AutoSample(retry: true);
            await analyzing.ConfigureAwait(false);
        }
        return PunchStrategy.Coerce(Nat.Firewall) == FirewallType.Consistent;
    }

    private void AutoSample(bool retry)
    {
        List<Ipv4EndPoint> targets = [];
        UdxDatagramSocket socket;
        NatAnalyzer nat;
        lock (_gate)
        {
            if (_autoSampling || Destroyed) return;
            _autoSampling = true;
            socket = _socket;
            nat = Nat;
            var known = _dht.Node.KnownNodes();
            var skip = known.Count >= 8 ? 5 : 0;
            foreach (var node in known)
            {
                if (nat.Sampled + targets.Count >= NatAnalyzer.DefaultMinSamples) break;
                if (skip > 0)
                {
                    skip--;
                    continue;
                }
                if (_pinged.Add(node)) targets.Add(node);
            }
        }
        _ = SampleAsync(targets, socket, nat, retry);
    }

    private async Task SampleAsync(List<Ipv4EndPoint> targets, UdxDatagramSocket socket, NatAnalyzer nat, bool retry)
    {
        var pings = targets.Select(async to =>
        {
            try
            {
                var reply = await _dht.Node.RequestAsync(to, new DhtRequestOptions { Internal = true, Command = DhtCommand.Ping, Socket = socket, Retries = 0 }, _stop.Token).ConfigureAwait(false);
                lock (_gate)
                    if (Nat == nat && nat.Add(reply.To, reply.From) && nat.Resolved) _analyzing.TrySetResult();
            }
            catch (Exception e) when (e is DhtRequestException or OperationCanceledException or ObjectDisposedException or InvalidOperationException) { }
        });
        await Task.WhenAll(pings).ConfigureAwait(false);
        lock (_gate)
        {
            if (Nat != nat || nat.Resolved) return;
            if (retry && !Destroyed)
            {
                _autoSampling = false;
            }
            else
            {
                nat.GiveUp();
                _analyzing.TrySetResult();
                return;
            }
        }
        AutoSample(retry: false);
    }

    // ---- probes ------------------------------------------------------------------------------------

    /// <summary>A 0x00 with TTL 64: a punch the remote should receive.</summary>
    public void Ping(Ipv4EndPoint to, UdxDatagramSocket? socket = null) => Send(socket ?? _socket, to, PunchStrategy.DefaultTtl);

    /// <summary>A 0x00 with TTL 5: opens our NAT's mapping towards <paramref name="to"/> without reaching a far NAT.</summary>
    public void OpenSession(Ipv4EndPoint to, UdxDatagramSocket? socket = null) => Send(socket ?? _socket, to, PunchStrategy.LowTtl);

    private void Send(UdxDatagramSocket socket, Ipv4EndPoint to, int ttl)
    {
        if (to.Port == 0 || socket.Socket.IsClosed) return;
        Interlocked.Increment(ref _probesSent);
        socket.TrySend(Probe, to.ToIPEndPoint(), ttl);
    }

    private void OnProbe(UdxDatagramSocket socket, IPEndPoint from)
    {
        if (!IsInitiator)
        {
            // The server answers every probe: that echo is what connects the client.
            if (Ipv4EndPoint.TryFromIPEndPoint(from, out var to)) Ping(to, socket);
            return;
        }
        Action<UdxSocket, IPEndPoint>? onConnect;
        lock (_gate)
        {
            if (Connected || Destroyed) return;
            Connected = true;
            Punching = false;
            ConnectedSocket = socket.Socket;
            foreach (var s in _sockets)
                if (s != socket) s.Dispose();
            _sockets.Clear();
            _sockets.Add(socket);
            _socket = socket;
            onConnect = OnConnect;
        }
        ReleaseRandomPunch();
        onConnect?.Invoke(socket.Socket, from);
    }

    // ---- punching ----------------------------------------------------------------------------------

    /// <summary>Starts punching as the firewall types allow; false if there is no usable combination.</summary>
    public Task<bool> PunchAsync()
    {
        lock (_gate) return _punching ??= StartPunch();
    }

    private async Task<bool> StartPunch()
    {
        PunchKind kind;
        PunchAddress? verified;
        lock (_gate)
        {
            if (Done || RemoteAddresses.Count == 0) return false;
            Punching = true;
            verified = RemoteAddresses.FirstOrDefault(a => a.Verified) is { Verified: true } v ? v : null;
            kind = PunchStrategy.Choose(Nat.Firewall, RemoteFirewall, RemoteAddresses.Count > 0, verified is not null);
        }
        var stats = _dht.PunchStats;
        switch (kind)
        {
            case PunchKind.Consistent:
                Interlocked.Increment(ref stats.consistent);
                _ = ConsistentProbeAsync();
                return true;
            case PunchKind.RandomRemote:
                Interlocked.Increment(ref stats.random);
                TakeRandomPunch();
                _ = RandomProbesAsync(verified!.Value.Address);
                return true;
            case PunchKind.Birthday:
                Interlocked.Increment(ref stats.random);
                TakeRandomPunch();
                await OpenBirthdaySocketsAsync(verified!.Value.Address).ConfigureAwait(false);
                if (Punching) _ = KeepAliveRandomNatAsync(verified.Value.Address);
                return true;
            default:
                lock (_gate) Punching = false;
                return false;
        }
    }

    private async Task ConsistentProbeAsync()
    {
        try
        {
            // The server's fast-open ping just went out: give it a moment before the rounds.
            if (!IsInitiator) await Delay(PunchStrategy.ConsistentInterval).ConfigureAwait(false);
            for (var round = 1; Punching && round <= PunchStrategy.ConsistentRounds; round++)
            {
                foreach (var a in RemoteAddresses)
                    if (PunchStrategy.ProbesAddress(round, a.Verified)) Ping(a.Address);
                if (Punching) await Delay(PunchStrategy.ConsistentInterval).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        AutoDestroy();
    }

    private async Task RandomProbesAsync(Ipv4EndPoint remote)
    {
        try
        {
            for (var i = 0; Punching && i < PunchStrategy.RandomProbes; i++)
            {
                Ping(remote with { Port = (ushort)Random.Shared.Next(1000, 65536) });
                if (Punching) await Delay(PunchStrategy.RandomInterval).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        AutoDestroy();
    }

    private async Task OpenBirthdaySocketsAsync(Ipv4EndPoint remote)
    {
        while (Punching)
        {
            UdxDatagramSocket socket;
            lock (_gate)
            {
                if (!Punching || Destroyed || _sockets.Count >= PunchStrategy.BirthdaySockets) return;
                socket = AddSocket();
            }
            OpenSession(remote, socket);
            await Task.Yield();
        }
    }

    private async Task KeepAliveRandomNatAsync(Ipv4EndPoint remote)
    {
        try
        {
            await Delay(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
            var lowTtlRounds = 1;
            var i = 0;
            for (var tries = 0; Punching && tries < PunchStrategy.RandomProbes; tries++)
            {
                UdxDatagramSocket socket;
                lock (_gate)
                {
                    if (_sockets.Count == 0) break;
                    if (i >= _sockets.Count)
                    {
                        i = 0;
                        if (lowTtlRounds > 0) lowTtlRounds--;
                    }
                    socket = _sockets[i++];
                }
                if (lowTtlRounds > 0) OpenSession(remote, socket);
                else Ping(remote, socket);
                if (Punching) await Delay(PunchStrategy.RandomInterval).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        AutoDestroy();
    }

    private Task Delay(TimeSpan delay) => Task.Delay(delay, _dht.Options.Time, _stop.Token);

    private void AutoDestroy()
    {
        if (!Connected) Destroy();
    }

    private void TakeRandomPunch()
    {
        lock (_gate)
        {
            if (_randomized) return;
            _randomized = true;
        }
        _dht.RandomPunches.Take();
    }

    private void ReleaseRandomPunch()
    {
        lock (_gate)
        {
            if (!_randomized) return;
            _randomized = false;
        }
        _dht.RandomPunches.Release();
    }

    // ---- sockets and teardown ----------------------------------------------------------------------

    private bool Done => Destroyed || Connected;

    private UdxDatagramSocket AddSocket()
    {
        var udx = _dht.Udx ?? throw new InvalidOperationException("Holepunching needs UDX sockets.");
        var socket = new UdxDatagramSocket(udx.Bind(new IPEndPoint(_dht.Node.Options.Host, 0)));
        var node = _dht.Node;
        socket.OnDatagram = (data, from) =>
        {
            if (data.Length > 1)
            {
                if (Ipv4EndPoint.TryFromIPEndPoint(from, out var source)) node.OnDatagram(socket, data.Span, source);
            }
            else if (data.Length == 1)
            {
                OnProbe(socket, from);
            }
        };
        _sockets.Add(socket);
        return socket;
    }

    /// <summary>
    /// Stops punching and closes the sockets, except <paramref name="keep"/> (a stream connected on it) and
    /// the socket a probe connected us on. Calls OnAbort unless connected.
    /// </summary>
    public void Destroy(UdxSocket? keep = null)
    {
        Action? onAbort;
        lock (_gate)
        {
            if (Destroyed) return;
            Destroyed = true;
            Punching = false;
            foreach (var s in _sockets)
                if (s.Socket != keep && s.Socket != ConnectedSocket) s.Dispose();
            _sockets.Clear();
            Nat.GiveUp();
            _analyzing.TrySetResult();
            onAbort = Connected ? null : OnAbort;
        }
        _stop.Cancel();
        if (!Connected) ReleaseRandomPunch();
        onAbort?.Invoke();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
