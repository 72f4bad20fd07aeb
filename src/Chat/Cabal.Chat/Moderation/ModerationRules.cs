// Who may change whose flags, and how one flags/* entry changes the moderation state: cabal-core 16's
// moderation view (spec §4.7) as materialized-group-auth decides it. Authority is decided once, when
// an entry is indexed, against the state at that moment; refused entries are never reconsidered (JS).
// Unlike JS we apply entries one by one, so the "batch quirk" (several changes to one user in one
// 500-entry batch losing updates) does not happen here.
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using LightningDB;

namespace Cabal.Chat.Moderation;

/// <summary>What one flags/* entry did: the (group, user) entry it wrote, or would have written had it been <see cref="Applied"/>.</summary>
internal readonly record struct ModerationOutcome(ModerationEntry Entry, bool Applied);

internal static class ModerationRules
{
    /// <summary>
    /// mauth's check for a change by <paramref name="by"/> to <paramref name="target"/> in
    /// <paramref name="group"/>: the author needs admin or mod (group ∪ "@"), and a non-admin may not
    /// touch a user who is already mod or admin.
    /// </summary>
    public static bool Authorised(LightningTransaction tx, AuthTable auth, string group, ReadOnlySpan<byte> by, ReadOnlySpan<byte> target)
    {
        var byFlags = auth.Flags(tx, group, by);
        var isAdmin = byFlags.Contains(ModerationFlags.Admin);
        if (!isAdmin && !byFlags.Contains(ModerationFlags.Mod)) return false;
        if (isAdmin) return true;
        var targetFlags = auth.Flags(tx, group, target);
        return !targetFlags.Contains(ModerationFlags.Mod) && !targetFlags.Contains(ModerationFlags.Admin);
    }

    /// <summary>cabal-core's checkLocal: nobody can hide/block/mute the local user or take its "@" admin.</summary>
    public static List<string> CheckLocal(List<string> flags, string group, bool targetIsLocal)
    {
        if (!targetIsLocal) return flags;
        if (group == MessageTypes.CabalWideGroup && !flags.Contains(ModerationFlags.Admin)) flags.Add(ModerationFlags.Admin);
        return flags.Where(f => f is not (ModerationFlags.Block or ModerationFlags.Hide or ModerationFlags.Mute)).ToList();
    }

    /// <summary>
    /// Applies the flags/* entry <paramref name="seq"/> of <paramref name="author"/> inside the indexer's
    /// write transaction. Null when it changes nothing (an add of flags the user already holds, which
    /// JS skips before the authority check); otherwise the entry written, or refused for lack of authority.
    /// </summary>
    public static ModerationOutcome? Apply(LightningTransaction tx, AuthTable auth, FlagsEntry e, byte[] author, string authorHex, ulong seq, string localHex)
    {
        auth.RecordAction(tx, author, seq);
        var id = e.TargetId;
        var group = e.Group;
        // mauth rejects ids and groups containing its separator; target ids must be user keys for us to store them.
        if (id.Contains('!') || group.Contains('!') || !CabalKeys.IsHexKey(id)) return Refused(e, authorHex, seq);

        var target = Convert.FromHexString(id);
        var isLocal = id.Equals(localHex, StringComparison.OrdinalIgnoreCase);
        var previous = auth.Flags(tx, group, target); // merged with "@", sorted, as JS's getFlags
        List<string> next = e.Op switch
        {
            FlagsOp.Set => [.. e.Flags],
            FlagsOp.Add => [.. previous, .. e.Flags],
            _ => previous.Where(f => !e.Flags.Contains(f)).ToList(),
        };
        next = CheckLocal(next, group, isLocal);
        if (e.Op == FlagsOp.Add && next.SequenceEqual(previous)) return null;

        if (!Authorised(tx, auth, group, author, target)) return Refused(e, authorHex, seq);
        auth.Put(tx, group, target, next, author, seq);
        return new ModerationOutcome(new ModerationEntry(id.ToLowerInvariant(), group, next, authorHex + "@" + seq), Applied: true);
    }

    private static ModerationOutcome Refused(FlagsEntry e, string authorHex, ulong seq)
        => new(new ModerationEntry(e.TargetId, e.Group, e.Flags, authorHex + "@" + seq), Applied: false);
}
