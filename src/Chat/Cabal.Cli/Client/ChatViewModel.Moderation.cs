using System.Globalization;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Chat.Moderation;

namespace Cabal.Cli.Client;

// The moderation commands of cabal-client 8 (spec §4.7, §6.3): flag changes with their pre-checks,
// the listings, /inspect, /actions, /roles, raw /flag editing and the archive commands. Queries run
// off the UI thread; names are looked up when the result is shown, on the UI thread.
public sealed partial class ChatViewModel
{
    private const string CabalWide = MessageTypes.CabalWideGroup;

    /// <summary>
    /// /hide NICK [reason] or /hide NICK --channel C --reason R (and unhide, block, unblock, mod, unmod,
    /// admin, unadmin): refuses what would change nothing, then publishes flags/add or flags/remove.
    /// </summary>
    private void Moderate(CabalSession s, string command, string arg)
    {
        var (target, rest) = CommandParser.TargetAndRest(arg);
        if (target.Length == 0) { s.AddNote($"usage: /{command} NICK{{.PUBKEY}} [reason] or /{command} NICK{{.PUBKEY}} --channel C --reason R"); return; }
        if (ResolveUser(s, target) is not { } key) return;
        var options = CommandOptions.Parse(rest);
        var channel = options.Get("channel")?.TrimStart('#') ?? CabalWide;
        var reason = options.Get("reason") ?? options.Plain;
        var remove = command.StartsWith("un", StringComparison.Ordinal);
        var flag = remove ? command[2..] : command;
        var name = s.DisplayName(key);
        var (core, note) = (s.Core, s.Current);
        s.Command(async () =>
        {
            // The checks read the views: my own earlier commands must be applied first, or a quick
            // second /hide would not see the first and would publish it again.
            await core.WaitForOwnEntriesAsync().ConfigureAwait(false);
            if (channel != CabalWide && !core.GetChannels().Contains(channel, StringComparer.Ordinal))
            {
                Ui.Post(() => s.AddNote($"channel {channel} does not exist", note));
                return;
            }
            var has = core.GetFlags(key, channel).Contains(flag, StringComparer.Ordinal);
            // /block NICK --delete: blocked cabal-wide, and their feed's data deleted from the store too.
            var delete = flag == ModerationFlags.Block && !remove && channel == CabalWide && options.Options.ContainsKey("delete");
            if (delete && has) { await DeleteBlockedAsync(s, core, key, name, note).ConfigureAwait(false); return; }
            if (ModerationRefusal(flag, remove, has, name, channel) is { } refusal) { Ui.Post(() => s.AddNote(refusal, note)); return; }
            var group = channel == CabalWide ? null : channel;
            var r = reason.Length == 0 ? null : reason;
            _ = remove ? await core.RemoveFlagsAsync(key, [flag], group, r).ConfigureAwait(false) : await core.AddFlagsAsync(key, [flag], group, r).ConfigureAwait(false);
            await core.WaitForOwnEntriesAsync().ConfigureAwait(false); // the confirmation means applied: /hides after it lists the change
            // A new or removed mod/admin changes whose archives count; the session re-reads the archived
            // channels when the moderation event arrives, which is cabal-cli's "recompute archives".
            Ui.Post(() => s.AddNote($"{ModerationVerb(flag, remove, name)} ({key[..8]}) {Place(channel)}", note));
            if (delete) await DeleteBlockedAsync(s, core, key, name, note).ConfigureAwait(false);
        });
    }

    // Runs after the block is applied (indexed), so the feed has left every connection before its data goes.
    private async Task DeleteBlockedAsync(CabalSession s, Cabal.Chat.CabalCore core, string key, string name, ChannelRef note)
    {
        var deleted = await core.DeleteFeedsAsync([key]).ConfigureAwait(false);
        var text = deleted.Count == 0 ? $"no data of {name} ({key[..8]}) was held" : $"deleted the data of {name} ({key[..8]}): {deleted[0].Length} entries";
        Ui.Post(() => s.AddNote(text, note));
    }

    private static string Place(string channel) => channel == CabalWide ? "for the entire cabal" : $"in channel {channel}";

    /// <summary>
    /// cabal-client's pre-checks: nothing is published when the user already has (or lacks) the flag in
    /// the channel or cabal-wide. cabal-client tests the hidden state for /block and /unblock too (a
    /// bug, spec §6.3); we test the block state itself.
    /// </summary>
    public static string? ModerationRefusal(string flag, bool remove, bool has, string name, string channel) => (flag, remove, has) switch
    {
        (ModerationFlags.Mod, true, false) => $"{name} is not a mod {Place(channel)}",
        (ModerationFlags.Mod, false, true) => $"{name} is already a mod {Place(channel)}",
        (ModerationFlags.Admin, true, false) => $"{name} is not an admin {Place(channel)}",
        (ModerationFlags.Admin, false, true) => $"{name} is already an admin {Place(channel)}",
        (ModerationFlags.Hide, true, false) => $"cannot unhide {name}: they are not hidden",
        (ModerationFlags.Hide, false, true) => $"{name} is already hidden",
        (ModerationFlags.Block, true, false) => $"cannot unblock {name}: they are not blocked",
        (ModerationFlags.Block, false, true) => $"{name} is already blocked",
        _ => null,
    };

    private static string ModerationVerb(string flag, bool remove, string name) => (flag, remove) switch
    {
        (ModerationFlags.Hide, false) => $"hid {name}",
        (ModerationFlags.Hide, true) => $"unhid {name}",
        (ModerationFlags.Block, false) => $"blocked {name}",
        (ModerationFlags.Block, true) => $"unblocked {name}",
        (_, false) => $"made {name} {Article(flag)} {flag}",
        (_, true) => $"removed {name} as {Article(flag)} {flag}",
    };

    private static string Article(string flag) => flag.StartsWith('a') ? "an" : "a";

    /// <summary>/archive and /unarchive: channel [reason], or --channel C --reason R.</summary>
    private void Archive(CabalSession s, bool archive, string arg)
    {
        var options = CommandOptions.Parse(arg);
        var (word, tail) = CommandParser.TargetAndRest(options.Plain);
        var explicitChannel = options.Get("channel");
        var channel = (explicitChannel ?? word).TrimStart('#');
        var reason = options.Get("reason") ?? (explicitChannel is null ? tail : options.Plain);
        var name = archive ? "archive" : "unarchive";
        if (channel.Length == 0) { s.AddNote($"usage: /{name} channel [reason] or /{name} channel --reason R"); return; }
        if (channel == ChannelRef.StatusName) { s.AddNote($"the !status channel cannot be {name}d"); return; }
        if (CabalKeys.IsHexKey(channel)) { s.AddNote($"private message channels cannot be {name}d"); return; }
        var (core, note) = (s.Core, s.Current);
        s.Command(async () =>
        {
            await core.WaitForOwnEntriesAsync().ConfigureAwait(false); // see Moderate
            string? refusal = null;
            var archived = core.GetArchivedChannels().Contains(channel, StringComparer.Ordinal);
            if (!core.GetChannels().Contains(channel, StringComparer.Ordinal)) refusal = $"{channel} does not exist";
            else if (archive && archived) refusal = $"channel {channel} is already archived";
            else if (!archive && !archived) refusal = $"channel {channel} is not archived";
            if (refusal is not null) { Ui.Post(() => s.AddNote(refusal, note)); return; }
            _ = archive ? await core.ArchiveAsync(channel, reason).ConfigureAwait(false) : await core.UnarchiveAsync(channel, reason).ConfigureAwait(false);
            await core.WaitForOwnEntriesAsync().ConfigureAwait(false);
            Ui.Post(() => s.AddNote($"{(archive ? "archived" : "restored")} {channel}", note));
        });
    }

    /// <summary>/archives: the archived channels, then the ones I restored.</summary>
    private void Archives(CabalSession s)
    {
        var (core, note) = (s.Core, s.Current);
        Query(s, () => (core.GetArchivedChannels(), core.GetUnarchivedBy(core.LocalKey)), r =>
        {
            s.AddNote("all archived channels:", note);
            foreach (var c in r.Item1) s.AddNote("  " + c, note);
            if (r.Item1.Count == 0) s.AddNote("no channels are archived", note);
            s.AddNote("channels you have restored:", note);
            foreach (var c in r.Item2) s.AddNote("  " + c, note);
            if (r.Item2.Count == 0) s.AddNote("there are no restored channels. restore an archived channel with /unarchive <channel name>", note);
        });
    }

    /// <summary>/hides, /blocks, /mods, /admins: users holding the flag in "@", with when and why when the entry is here.</summary>
    private void ListFlag(CabalSession s, string flag)
    {
        var (core, note) = (s.Core, s.Current);
        Query(s, () => core.ListByFlag(flag).Select(e => (e.Id, Action: e.Provenance is { } p ? core.GetModerationAction(p) : null)).ToList(), rows =>
        {
            if (rows.Count == 0) s.AddNote($"you don't have any {flag}s", note);
            foreach (var (id, action) in rows)
                s.AddNote($"{flag}: {s.DisplayName(id)}{(action is null ? "" : When(action.Timestamp) + Reason(action.Reason))}", note);
        });
    }

    /// <summary>/roles: my current cabal-wide admins and mods.</summary>
    private void Roles(CabalSession s)
    {
        var (core, note) = (s.Core, s.Current);
        Query(s, () => (Admins: core.ListAdmins().Select(e => e.Id).ToList(), Mods: core.ListMods().Select(e => e.Id).ToList()), r =>
        {
            s.AddNote("moderation roles", note);
            if (r.Admins.Concat(r.Mods).Distinct().SequenceEqual([core.LocalKey]))
            {
                s.AddNote("you currently have no applied moderators or admins, other than yourself", note);
                s.AddNote("see /moderation, for how to add some", note);
                return;
            }
            foreach (var k in r.Admins) s.AddNote($"{s.DisplayName(k)}: admin", note);
            foreach (var k in r.Mods) s.AddNote($"{s.DisplayName(k)}: moderator", note);
        });
    }

    /// <summary>/actions: every flags/* entry by my current admins and mods, oldest first.</summary>
    private void Actions(CabalSession s)
    {
        var (core, note) = (s.Core, s.Current);
        Query(s, () => core.ListAdmins().Concat(core.ListMods()).Select(e => e.Id).Distinct()
            .SelectMany(core.ListModerationBy).OrderBy(a => a.Timestamp ?? 0).ToList(), actions =>
        {
            s.AddNote("moderation actions", note);
            if (actions.Count == 0) s.AddNote("no recorded historic moderation actions", note);
            foreach (var a in actions) s.AddNote(DescribeAction(a, s.DisplayName), note);
        });
    }

    /// <summary>One /actions line: "[date] alice hid bob reason", "[date] alice added bob as mod reason".</summary>
    public static string DescribeAction(ModerationAction a, Func<string, string> nameOf)
    {
        var (by, target) = (nameOf(a.Author), nameOf(a.TargetId));
        var add = a.Type == MessageTypes.FlagsAdd;
        var role = a.Flags.Count > 0 ? a.Flags[0] : "";
        var what = a.Type == MessageTypes.FlagsSet ? $"set the flags of {target} to [{string.Join(",", a.Flags)}]"
            : role == ModerationFlags.Hide ? $"{(add ? "hid" : "unhid")} {target}"
            : role == ModerationFlags.Block ? $"{(add ? "blocked" : "unblocked")} {target}"
            : $"{(add ? "added" : "removed")} {target} as {string.Join(",", a.Flags)}";
        return $"{When(a.Timestamp).TrimStart()}{(a.Timestamp is null ? "" : " ")}{by} {what}{(a.Channel == CabalWide ? "" : " in " + a.Channel)}{Reason(a.Reason)}";
    }

    /// <summary>/inspect NICK: the flags/* entries that user wrote (+ add, - remove, = set).</summary>
    private void Inspect(CabalSession s, string arg)
    {
        var query = arg.Trim();
        if (query.Length == 0) { s.AddNote("usage: /inspect NICK{.PUBKEY}"); return; }
        // Read-only, so every match is listed rather than asking which one was meant.
        var keys = NickResolver.Resolve(query, s.Names);
        if (keys.Count == 0) { s.AddNote($"no user matches {query}"); return; }
        var (core, note) = (s.Core, s.Current);
        Query(s, () => keys.Select(k => (Key: k, Actions: core.ListModerationBy(k))).ToList(), results =>
        {
            foreach (var (key, actions) in results)
            {
                s.AddNote($"# moderation for {s.DisplayName(key)}.{key[..8]}", note);
                if (actions.Count == 0) s.AddNote("  no moderation actions", note);
                foreach (var a in actions)
                {
                    var sign = a.Type switch { MessageTypes.FlagsAdd => "+", MessageTypes.FlagsRemove => "-", MessageTypes.FlagsSet => "=", _ => "?" };
                    var where = a.Channel == CabalWide ? "" : " in " + a.Channel;
                    s.AddNote($"{sign}{string.Join(",", a.Flags)} {s.DisplayName(a.TargetId)}.{a.TargetId[..Math.Min(8, a.TargetId.Length)]}{where}{When(a.Timestamp)}{Reason(a.Reason)}", note);
                }
            }
        });
    }

    private static string When(double? timestamp) => timestamp is { } t
        ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Clamp(t, 0, 253402300799999)).ToLocalTime().ToString(" [yyyy-MM-dd HH:mm:ss]", CultureInfo.InvariantCulture)
        : "";

    private static string Reason(string? reason) => string.IsNullOrEmpty(reason) ? "" : " " + reason;

    /// <summary>
    /// Runs a query off the UI thread and shows its result on it. Like cabal-core's queries it first
    /// waits for the views, but only for my own entries: /hides right after /hide lists the hide, and a
    /// sync with peers in progress does not hold it up.
    /// </summary>
    private void Query<T>(CabalSession s, Func<T> query, Action<T> show) => s.Command(async () =>
    {
        await s.Core.WaitForOwnEntriesAsync().ConfigureAwait(false);
        var result = query();
        Ui.Post(() => show(result));
    });
}
