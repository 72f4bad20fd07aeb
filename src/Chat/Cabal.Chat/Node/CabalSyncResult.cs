using Cabal.Multifeed.Sets;

namespace Cabal.Chat.Node;

/// <summary>
/// What a wait for sync reached (CabalNode.WaitForSyncReportAsync): the peers' side, from protocol
/// facts, and whether what was stored is indexed too.
/// </summary>
/// <param name="Replication">Per peer: handshake, manifest, feed lengths, blocks stored.</param>
/// <param name="Indexed">Everything stored was indexed before the deadline.</param>
public sealed record CabalSyncResult(MultifeedSyncReport Replication, bool Indexed)
{
    /// <summary>At least one peer was reached, every connected peer is in sync, and it is all indexed.</summary>
    public bool InSync => Replication.InSync && Indexed;

    /// <summary>No peer was connected at the end (none reached, or all left).</summary>
    public bool NoPeers => Replication.NoPeers;

    /// <summary>One line for a user: what was reached.</summary>
    public override string ToString() => Replication.InSync && !Indexed ? Replication + "; indexing not finished" : Replication.ToString();
}
