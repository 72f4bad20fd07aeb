using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;

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

    private void OnPeerChanged(object? sender, PeerChangedEventArgs e) => NetworkChanged?.Invoke(e.CabalKey);

    public void Dispose() => _node.PeerChanged -= OnPeerChanged;
}
