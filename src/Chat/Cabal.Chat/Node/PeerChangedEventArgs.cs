namespace Cabal.Chat.Node;

/// <summary>A peer connected to or disconnected from one of the node's cabals.</summary>
public sealed class PeerChangedEventArgs(string cabalKey, string peerKey, string address, bool connected) : EventArgs
{
    public string CabalKey { get; } = cabalKey;
    /// <summary>The peer's user key from the peer-id extension, else its connection identity.</summary>
    public string PeerKey { get; } = peerKey;
    public string Address { get; } = address;
    public bool Connected { get; } = connected;
    /// <summary>How the connection came about (<see cref="PeerSources"/>).</summary>
    public string Source { get; init; } = PeerSources.Inbound;
    /// <summary>Whether we dialled it.</summary>
    public bool Outbound { get; init; }
}

/// <summary>How far a cabal has synced: blocks held against the longest lengths peers announced.</summary>
public sealed record SyncStatus(int Peers, int Feeds, ulong Blocks, ulong KnownBlocks, long Indexed)
{
    /// <summary>Feeds that hold every block a peer announced (of <see cref="Feeds"/>).</summary>
    public int FeedsSynced { get; init; }
    /// <summary>The cabal takes new feeds only from users an admin or moderator vouches for.</summary>
    public bool Lockdown { get; init; }
}
