// "Blocked means gone from the network" (issue 20): the users blocked cabal-wide ("@"), by the local
// user or by an admin or mod under the moderation rules (ModerationRules), as a replication policy
// for the cabal's multifeed set. Their feeds are then neither offered, requested, accepted nor
// served, and live channels for them close (CabalNode wires NetworkBlocks.Changed to
// MultifeedSet.ReconsiderFeeds). A block in one channel only hides the user there: a feed is
// cabal-wide, so only "@" decides what moves on the network.
//
// Kept in memory, loaded from the auth view at open and after a rebuild, and updated from each
// applied moderation entry as the indexer commits it, so a block that arrives later in the log (or
// from a peer) takes effect as soon as it is indexed.
using System.Collections.Concurrent;
using Cabal.Chat.Messages;
using Cabal.Multifeed.Sets;
using LightningDB;

namespace Cabal.Chat.Moderation;

internal sealed class NetworkBlocks : IReplicationPolicy
{
    private readonly ConcurrentDictionary<string, byte> _blocked = new(StringComparer.Ordinal);

    /// <summary>Raised (on the indexer's thread) with the users whose network block changed.</summary>
    public event Action<IReadOnlyList<string>>? Changed;

    public bool MayReplicate(string feedKeyHex) => !_blocked.ContainsKey(feedKeyHex);

    public bool IsBlocked(string userKey) => _blocked.ContainsKey(userKey);

    public IReadOnlyCollection<string> Keys => [.. _blocked.Keys];

    /// <summary>Reads the blocked users of "@" from the auth view; raises Changed for any difference.</summary>
    public void Load(LightningTransaction tx, AuthTable auth)
    {
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (user, entry) in auth.Members(tx, MessageTypes.CabalWideGroup))
            if (entry.Flags.Contains(ModerationFlags.Block)) now.Add(Convert.ToHexStringLower(user));
        var changed = new List<string>();
        foreach (var k in _blocked.Keys) if (!now.Contains(k) && _blocked.TryRemove(k, out _)) changed.Add(k);
        foreach (var k in now) if (_blocked.TryAdd(k, 0)) changed.Add(k);
        if (changed.Count > 0) Changed?.Invoke(changed);
    }

    /// <summary>An applied moderation entry: the target's "@" flags as they now stand.</summary>
    public void Apply(ModerationEntry entry)
    {
        if (entry.Channel != MessageTypes.CabalWideGroup) return;
        var blocked = entry.Flags.Contains(ModerationFlags.Block);
        var changed = blocked ? _blocked.TryAdd(entry.Id, 0) : _blocked.TryRemove(entry.Id, out _);
        if (changed) Changed?.Invoke([entry.Id]);
    }
}
