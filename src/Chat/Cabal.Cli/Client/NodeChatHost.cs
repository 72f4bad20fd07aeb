using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Net.Transport;

namespace Cabal.Cli.Client;

/// <summary>The client's view of a running <see cref="CabalNode"/>: acks from the replicator, peers from the network.</summary>
public sealed class NodeChatHost : IChatHost, IDisposable
{
    private readonly CabalNode _node;
    private readonly HashSet<string> _hooked = new(StringComparer.Ordinal);
    private readonly Lock _hookedLock = new();

    public NodeChatHost(CabalNode node)
    {
        _node = node;
        _node.PeerChanged += OnPeerChanged;
    }

    public event Action<string>? NetworkChanged;

    public event Action<PeerChangedEventArgs>? PeerChanged;

    /// <summary>Further network segments for !status (a hook for discovery layers such as the DHT).</summary>
    public Func<IReadOnlyList<string>>? ExtraSegments { get; init; }

    /// <summary>Lists the data directory's cabals (the same list as `cabal list`).</summary>
    public Func<IReadOnlyList<string>>? ListCabals { get; init; }

    // The DHT's state is the first further segment: !status and /peers say whether the swarm is reachable.
    public NetworkState GetNetworkState() => new(_node.NetworkStarted, _node.ListenPort, _node.LanEnabled,
        [_node.DhtState().Summary, .. ExtraSegments?.Invoke() ?? []]);

    public IReadOnlyList<PeerInfo> GetPeers(CabalCore cabal) => _node.PeersOf(cabal);

    public string? Connect(CabalCore cabal, string hostPort)
    {
        if (!PeerAddress.TryParse(hostPort, out var address, out var error)) return $"{hostPort} is not HOST:PORT ({error}).";
        try { return _node.AddPeer(cabal, address) ? null : $"{address} is already being dialled."; }
        catch (InvalidOperationException e) { return e.Message; }
    }

    public IReadOnlyList<string> KnownCabals() => ListCabals?.Invoke() ?? [];

    public async Task<CabalCore> OpenCabalAsync(CabalUrl url, CancellationToken cancellationToken)
    {
        var core = await _node.OpenCabalAsync(url, cancellationToken).ConfigureAwait(false);
        Hook(core);
        return core;
    }

    /// <summary>Starts watching acks of a cabal opened before the client started.</summary>
    public void Hook(CabalCore core)
    {
        lock (_hookedLock) if (!_hooked.Add(core.KeyHex)) return;
        _node.Replicator.Hub(core.LocalFeed).AckReceived += (_, _) => NetworkChanged?.Invoke(core.KeyHex);
    }

    public SyncStatus GetSyncStatus(CabalCore cabal) => _node.SyncStatus(cabal);

    public string? DhtSummary() => _node.DhtState() is { State: not DhtStatus.Off } s ? s.Summary : null;

    public int AckCount(CabalCore cabal, ulong seq) => _node.Replicator.Hub(cabal.LocalFeed).AckCount(seq);

    public bool SetLockdown(CabalCore cabal, bool on)
    {
        _node.SetLockdown(cabal, on);
        NetworkChanged?.Invoke(cabal.KeyHex); // the status line shows it
        return true;
    }

    public void RememberCabal(CabalCore cabal) => _node.Paths.WriteLastCabal(cabal.Url.ToString());

    public string? LastChannel(CabalCore cabal)
    {
        try
        {
            var file = ChannelFile(cabal);
            return File.Exists(file) ? File.ReadAllText(file).Trim() is { Length: > 0 } c ? c : null : null;
        }
        catch (IOException) { return null; }
    }

    public void RememberChannel(CabalCore cabal, string channel)
    {
        try
        {
            var file = ChannelFile(cabal);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, channel + "\n");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private string ChannelFile(CabalCore cabal) => _node.Paths.LastChannelFile(cabal.KeyHex);

    private void OnPeerChanged(object? sender, PeerChangedEventArgs e)
    {
        NetworkChanged?.Invoke(e.CabalKey);
        PeerChanged?.Invoke(e);
    }

    public void Dispose() => _node.PeerChanged -= OnPeerChanged;
}
