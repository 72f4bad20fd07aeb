namespace Cabal.Chat.Node;

/// <summary>A peer connected to or disconnected from one of the node's cabals.</summary>
public sealed class PeerChangedEventArgs(string cabalKey, string peerKey, string address, bool connected) : EventArgs
{
    public string CabalKey { get; } = cabalKey;
    /// <summary>The peer's user key from the peer-id extension, else its connection identity.</summary>
    public string PeerKey { get; } = peerKey;
    public string Address { get; } = address;
    public bool Connected { get; } = connected;
    /// <summary>Where the connection came from: dht, lan or direct (<see cref="PeerSource"/>).</summary>
    public string Source { get; init; } = PeerSource.Direct;
}

/// <summary>How far a cabal has synced: blocks held against the longest lengths peers announced.</summary>
public sealed record SyncStatus(int Peers, int Feeds, ulong Blocks, ulong KnownBlocks, long Indexed);
