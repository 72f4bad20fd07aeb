// The node on the network: one TCP port shared by all cabals (SharedPeerListener routes each inbound
// connection by the cabal key it opens first) and, per cabal, a multifeed set and a connection
// manager (dialer with Polly backoff, one connection per remote identity) plus optional LAN
// discovery. A connection reaches the cabal's multifeed set before the remote's first extension
// message can arrive, so none is missed. Everything runs off the caller's thread.
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Net.Crypto;
using Cabal.Net.Discovery;
using Cabal.Net.Transport;
using Microsoft.Extensions.Logging;

namespace Cabal.Chat.Node;

public sealed partial class CabalNode
{
    private readonly ConcurrentDictionary<string, CabalRuntime> _runtimes = new(StringComparer.Ordinal);
    private NetworkOptions? _network;
    private NoiseKeyPair? _networkKey;
    private SharedPeerListener? _listener;
    private readonly SemaphoreSlim _networkLock = new(1, 1);

    /// <summary>Raised when a peer connects to or leaves one of the node's cabals (from a network thread).</summary>
    public event EventHandler<PeerChangedEventArgs>? PeerChanged;

    /// <summary>The TCP port every open cabal accepts peers on, once the network is started with a listener.</summary>
    public int? ListenPort => _listener?.Port;

    /// <summary>The multifeed set of an open cabal.</summary>
    public MultifeedSet SetOf(CabalCore cabal) => Runtime(cabal).Set;

    private CabalRuntime Runtime(CabalCore cabal)
        => _runtimes.TryGetValue(cabal.KeyHex, out var r) ? r : throw new InvalidOperationException($"Cabal {cabal.KeyHex} is not open in this node.");

    private async Task OnCabalOpenedAsync(CabalCore core, CancellationToken ct)
    {
        if (_runtimes.ContainsKey(core.KeyHex)) return;
        var set = await MultifeedSet.OpenAsync(Store, Replicator, core.Url.Key, new MultifeedOptions
        {
            // Ask peers to acknowledge what we send them: that is what delivery receipts show.
            Replication = Replicator.Options with { Ack = true },
            LoggerFactory = Options.LoggerFactory,
        }, cancellationToken: ct).ConfigureAwait(false);
        var runtime = new CabalRuntime(core, set, _runtimes.Count);
        if (!_runtimes.TryAdd(core.KeyHex, runtime)) { await set.DisposeAsync().ConfigureAwait(false); return; }
        if (_network is not null) await StartCabalNetworkAsync(runtime, _network).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts listening, dialing the given peers and (optionally) LAN discovery for every open cabal,
    /// and for cabals opened later. Returns once listeners are bound; connections come in the background.
    /// Every session asks peers for acks (see OnCabalOpenedAsync), so delivery receipts always work.
    /// A second call while the network runs changes nothing.
    /// </summary>
    public async Task StartNetworkAsync(NetworkOptions settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        await _networkLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_network is not null) return;
            if (settings.ListenPort is not null || settings.Lan)
            {
                _listener = SharedPeerListener.Start(new SharedPeerListenerOptions
                {
                    StaticKeyPair = NetworkKey(),
                    EndPoint = new IPEndPoint(IPAddress.Any, settings.ListenPort ?? 0),
                    LoggerFactory = Options.LoggerFactory,
                });
            }
            await StartDhtAsync(settings.Dht).ConfigureAwait(false);
            _network = settings with { Peers = [.. settings.Peers] };
            foreach (var r in _runtimes.Values.OrderBy(r => r.Order)) await StartCabalNetworkAsync(r, _network).ConfigureAwait(false);
        }
        finally { _networkLock.Release(); }
    }

    private Task StartCabalNetworkAsync(CabalRuntime runtime, NetworkOptions settings)
    {
        // Every cabal takes its peers on the one port: the listener routes a connection by the cabal
        // key the remote opens first, so a bot seeding several cabals needs one port forwarded, not one each.
        var manager = new ConnectionManager(new ConnectionManagerOptions
        {
            StaticKeyPair = NetworkKey(),
            ListenEndPoint = null,
            SharedListener = _listener,
            RouteKey = _listener is null ? default : runtime.Core.Url.Key,
            BaseDelay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(8),
            // A bot keeps a cabal online: after a failed round it tries a known peer again soon, not in minutes.
            RetryCooldown = TimeSpan.FromSeconds(15),
            LoggerFactory = Options.LoggerFactory,
        }, pc => OnConnection(runtime, pc));
        manager.ConnectionClosed += pc => OnConnectionClosed(runtime, pc);
        manager.DialFailed += f => runtime.DialFailures[f.Address.ToString()] = f.Error.Message.Split('\n', 2)[0];
        runtime.Manager = manager;
        manager.Start();
        foreach (var peer in settings.Peers) manager.AddPeer(peer);
        if (settings.Lan)
        {
            try
            {
                runtime.Lan = LanDiscovery.ForManager(manager, LanOptions(settings));
                runtime.Lan.PeerDiscovered += p => { if (runtime.LanFound.Count < MaxKnownPeers) runtime.LanFound.TryAdd(p.ToString(), 0); };
                runtime.Lan.Start();
                runtime.Lan.JoinCabal(runtime.Core.Url.Key, manager.ListenPort);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or InvalidOperationException)
            {
                NodeLog.LanUnavailable(_logger, e.Message);
            }
        }
        JoinSwarm(runtime, settings.Dht);
        return Task.CompletedTask;
    }

    // A loopback interface keeps discovery on this host: nothing leaves it (TTL 0).
    private LanDiscoveryOptions LanOptions(NetworkOptions settings)
    {
        var options = new LanDiscoveryOptions { LoggerFactory = Options.LoggerFactory };
        if (settings.LanInterface is { } address)
            options = options with { InterfaceAddress = address, TimeToLive = IPAddress.IsLoopback(address) ? 0 : options.TimeToLive };
        if (settings.LanPort is { } port) options = options with { Port = port };
        return options;
    }

    private void OnConnection(CabalRuntime runtime, PeerConnection pc)
    {
        var session = runtime.Set.Replicate(pc.Connection, startConnection: false);
        var swarm = pc.Transport == SwarmTransport;
        var address = swarm ? $"dht {pc.RemoteEndPoint}" : pc.RemoteEndPoint.ToString();
        var source = swarm ? PeerSource.Dht
            : pc.Address is { } a ? (_network?.Peers.Contains(a) == true ? PeerSource.Direct : PeerSource.Lan)
            : _network?.Lan == true ? PeerSource.Lan : PeerSource.Direct;
        runtime.Sources[pc] = source;
        if (pc.Address is { } dialled) runtime.DialFailures.TryRemove(dialled.ToString(), out _);
        session.PeerIdReceived += (_, peerId) =>
        {
            runtime.Peers[pc] = peerId;
            runtime.Core.ReportPeer(peerId, connected: true);
            // A swarm peer is found again by key; its UDP address is no TCP address to dial.
            if (!swarm) RememberPeer(runtime, address);
            PeerChanged?.Invoke(this, new PeerChangedEventArgs(runtime.Core.KeyHex, peerId, address, connected: true) { Source = source });
        };
    }

    private void OnConnectionClosed(CabalRuntime runtime, PeerConnection pc)
    {
        runtime.Sources.TryRemove(pc, out var source);
        if (!runtime.Peers.TryRemove(pc, out var peerId)) return;
        if (!runtime.Peers.Values.Contains(peerId)) runtime.Core.ReportPeer(peerId, connected: false);
        var address = pc.Transport == SwarmTransport ? $"dht {pc.RemoteEndPoint}" : pc.RemoteEndPoint.ToString();
        PeerChanged?.Invoke(this, new PeerChangedEventArgs(runtime.Core.KeyHex, peerId, address, connected: false) { Source = source ?? PeerSource.Direct });
    }

    /// <summary>
    /// The peers given to dial that could not be reached, with the last reason each (connection
    /// refused, timed out…); a peer leaves the list when a connection to it succeeds.
    /// </summary>
    public IReadOnlyDictionary<string, string> UnreachablePeers(CabalCore cabal)
        => _runtimes.TryGetValue(cabal.KeyHex, out var r) ? new Dictionary<string, string>(r.DialFailures, StringComparer.Ordinal) : new Dictionary<string, string>();

    /// <summary>Peers currently connected to the cabal (by their user key).</summary>
    public int ConnectedPeerCount(CabalCore cabal) => _runtimes.TryGetValue(cabal.KeyHex, out var r) ? r.Peers.Values.Distinct().Count() : 0;

    /// <summary>Addresses of peers this data directory has exchanged data with, most recent first.</summary>
    public IReadOnlyList<string> KnownPeers(CabalCore cabal)
    {
        var file = Paths.PeersFile(cabal.KeyHex);
        try { return File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0).Reverse().Distinct().ToList() : []; }
        catch (IOException) { return []; }
    }

    /// <summary>How many peer addresses the peers file keeps per cabal (the most recent).</summary>
    public const int MaxKnownPeers = 100;

    private void RememberPeer(CabalRuntime runtime, string address)
    {
        try
        {
            var file = Paths.PeersFile(runtime.Core.KeyHex);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            lock (runtime.PeersFileLock)
            {
                // One line per address, newest last, at most MaxKnownPeers: a line per connection
                // would grow the file forever (inbound peers come from a new port each time).
                var kept = File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0 && l != address).ToList() : [];
                kept = [.. kept.Skip(Math.Max(0, kept.Count - (MaxKnownPeers - 1))), address];
                File.WriteAllLines(file + ".tmp", kept);
                File.Move(file + ".tmp", file, overwrite: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { NodeLog.PeerNotRecorded(_logger, address, e); }
    }

    /// <summary>
    /// Waits until the cabal is up to date with its peers: at least one peer is connected, every
    /// connected peer's manifest has arrived, every feed it offered has a known remote length and
    /// every block it holds is stored (MultifeedSet.WaitForSyncAsync), and then indexing is idle.
    /// Returns false if that does not happen within <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitForSyncAsync(CabalCore cabal, TimeSpan timeout, CancellationToken cancellationToken = default)
        => (await WaitForSyncReportAsync(cabal, timeout, cancellationToken).ConfigureAwait(false)).InSync;

    /// <summary>
    /// As <see cref="WaitForSyncAsync"/>, returning what was reached: <c>InSync</c> only when the
    /// peers are in sync and what was stored is indexed; otherwise the report says how far each peer got.
    /// </summary>
    public async Task<CabalSyncResult> WaitForSyncReportAsync(CabalCore cabal, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var started = TimeProvider.System.GetTimestamp();
        var report = await Runtime(cabal).Set.WaitForSyncAsync(timeout, cancellationToken).ConfigureAwait(false);
        if (!report.InSync) return new CabalSyncResult(report, Indexed: false);
        var left = timeout - TimeProvider.System.GetElapsedTime(started);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            await cabal.WaitForIndexAsync(deadline.Token).ConfigureAwait(false);
            return new CabalSyncResult(report, Indexed: true);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new CabalSyncResult(report, Indexed: false);
        }
    }

    // One Noise identity per data directory, so peers see the same identity across restarts and
    // duplicate connections are recognised.
    private NoiseKeyPair NetworkKey() => _networkKey ??= NoiseKeyPair.FromSeed(ReadOrCreateSeed(Paths.NetworkKeyFile, NoiseKeyPair.SeedSize));

    // A secret seed kept in the data directory as hex, readable by its owner only; a missing or damaged
    // one is replaced by a new random seed.
    private byte[] ReadOrCreateSeed(string file, int size)
    {
        byte[]? seed = null;
        try
        {
            if (File.Exists(file)) seed = Convert.FromHexString(File.ReadAllText(file).Trim());
        }
        catch (FormatException) { seed = null; }
        if (seed is { Length: var n } && n == size) return seed;
        seed = RandomNumberGenerator.GetBytes(size);
        Directory.CreateDirectory(Paths.Root);
        var tmp = file + ".tmp";
        File.WriteAllText(tmp, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(tmp, Convert.ToHexStringLower(seed));
        File.Move(tmp, file, overwrite: true);
        return seed;
    }

    private async Task StopNetworkAsync()
    {
        await StopSwarmsAsync().ConfigureAwait(false);
        foreach (var r in _runtimes.Values)
        {
            if (r.Lan is not null) await r.Lan.DisposeAsync().ConfigureAwait(false);
            if (r.Manager is not null) await r.Manager.DisposeAsync().ConfigureAwait(false);
            await r.Set.DisposeAsync().ConfigureAwait(false);
        }
        _runtimes.Clear();
        if (_listener is not null) await _listener.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class CabalRuntime(CabalCore core, MultifeedSet set, int order)
    {
        public CabalCore Core { get; } = core;
        public MultifeedSet Set { get; } = set;
        public int Order { get; } = order;
        public ConnectionManager? Manager { get; set; }
        public LanDiscovery? Lan { get; set; }
        public Cabal.Net.Swarm.HyperSwarm? Swarm { get; set; }
        public byte[]? Topic { get; set; }
        public bool Announced { get; set; }
        public ConcurrentDictionary<PeerConnection, string> Sources { get; } = new();
        public ConcurrentDictionary<string, byte> LanFound { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<PeerConnection, string> Peers { get; } = new();
        public ConcurrentDictionary<string, string> DialFailures { get; } = new(StringComparer.Ordinal);
        public Lock PeersFileLock { get; } = new();
    }
}
