// Who vouches for a user, for feed admission in the multifeed layer (issue 20): at a feed or byte
// cap, and in lockdown, a new feed is taken only if its user is vouched for. The moderation state
// holds only what the authority rules accepted, so any entry there was written by an admin or mod
// (or granted by the cabal URL, or by this user).
using Cabal.Chat.Messages;
using Cabal.Chat.Moderation;
using Cabal.Multifeed.Sets;

namespace Cabal.Chat;

public sealed partial class CabalCore
{
    /// <summary>
    /// The user's standing: <see cref="FeedStanding.Moderator"/> for a cabal-wide admin or mod,
    /// <see cref="FeedStanding.Vouched"/> when an admin or mod has set flags on them (or named them
    /// with an empty set), in any channel, unless those flags block, hide or mute them; else a stranger.
    /// A malformed key is a stranger. Reads the views: any thread, never the UI's.
    /// </summary>
    public FeedStanding StandingOf(string userKey)
    {
        if (userKey is not { Length: 64 } || !userKey.All(Uri.IsHexDigit)) return FeedStanding.Stranger;
        var user = Convert.FromHexString(userKey);
        return Query(tx =>
        {
            var wide = _auth.Get(tx, MessageTypes.CabalWideGroup, user);
            if (wide is { } w && (w.Flags.Contains(ModerationFlags.Admin) || w.Flags.Contains(ModerationFlags.Mod))) return FeedStanding.Moderator;
            var named = false;
            foreach (var (_, u, entry) in _auth.All(tx))
            {
                if (!u.AsSpan().SequenceEqual(user)) continue;
                if (entry.Flags.Contains(ModerationFlags.Block) || entry.Flags.Contains(ModerationFlags.Hide) || entry.Flags.Contains(ModerationFlags.Mute))
                    return FeedStanding.Stranger;
                named = true;
            }
            return named ? FeedStanding.Vouched : FeedStanding.Stranger;
        });
    }
}
