// cabal-core's moderation start-up (spec §4.7 "Bootstrap"), run on every open before indexing:
//  1. the local user is an admin of "@" from its own point of view;
//  2. URL-granted admins/mods (entries without provenance) no longer in the URL lose their "@" entry;
//  3. each ?admin= / ?mod= key gets "admin" / "mod" in "@" (keeping a URL-granted mod/admin it has).
using Cabal.Chat.Messages;
using LightningDB;

namespace Cabal.Chat.Moderation;

internal static class ModerationBootstrap
{
    private const string Root = MessageTypes.CabalWideGroup;

    public static void Run(LightningTransaction tx, AuthTable auth, byte[] localKey, IReadOnlyList<string> adminKeys, IReadOnlyList<string> modKeys)
    {
        if (auth.Get(tx, Root, localKey) is null) auth.Put(tx, Root, localKey, [ModerationFlags.Admin], default, 0);

        var localHex = Convert.ToHexStringLower(localKey);
        var hasAdmin = new HashSet<string>(StringComparer.Ordinal);
        var hasMod = new HashSet<string>(StringComparer.Ordinal);
        var urlFlags = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var removals = new List<byte[]>();
        foreach (var (user, entry) in auth.Members(tx, Root).ToList())
        {
            var id = Convert.ToHexStringLower(user);
            var fromUrl = entry.ProvenanceAuthor is null && id != localHex;
            if (fromUrl && ((entry.Flags.Contains(ModerationFlags.Admin) && !adminKeys.Contains(id)) || (entry.Flags.Contains(ModerationFlags.Mod) && !modKeys.Contains(id))))
                removals.Add(user);
            if (entry.Flags.Contains(ModerationFlags.Admin) && adminKeys.Contains(id)) { hasAdmin.Add(id); urlFlags[id] = entry.Flags; }
            if (entry.Flags.Contains(ModerationFlags.Mod) && modKeys.Contains(id)) { hasMod.Add(id); urlFlags[id] = entry.Flags; }
        }
        foreach (var user in removals) auth.Delete(tx, Root, user);
        foreach (var id in adminKeys.Where(k => !hasAdmin.Contains(k)))
            auth.Put(tx, Root, Convert.FromHexString(id), [.. urlFlags.GetValueOrDefault(id) ?? [], ModerationFlags.Admin], default, 0);
        foreach (var id in modKeys.Where(k => !hasMod.Contains(k)))
            auth.Put(tx, Root, Convert.FromHexString(id), [.. urlFlags.GetValueOrDefault(id) ?? [], ModerationFlags.Mod], default, 0);
    }
}
