using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cabal.Chat.Moderation;

namespace Cabal.Cli.Client;

// cabal-client's debugging commands for raw flags (/flag, /flags) and the /moderation explainer.
public sealed partial class ChatViewModel
{
    private static readonly string[] FlagUsage =
    [
        "usage: /flag (add|remove|set) NICK{.PUBKEY} [flags...]",
        "usage: /flag get NICK{.PUBKEY}",
        "usage: /flag list",
    ];

    /// <summary>/flag add|remove|set NICK flags..., /flag get NICK, /flag list — always in group "@".</summary>
    private void Flag(CabalSession s, ParsedInput input)
    {
        var words = input.Words;
        var op = words.Count > 0 ? words[0] : "";
        if (op == "list") { ListFlags(s); return; }
        if (op is not ("add" or "remove" or "set" or "get") || words.Count < 2 || op is "add" or "remove" && words.Count < 3)
        {
            foreach (var u in FlagUsage) s.AddNote(u);
            return;
        }
        var keys = NickResolver.Resolve(words[1], s.Names);
        if (keys.Count == 0) { s.AddNote($"no user matches {words[1]}"); return; }
        var (core, note) = (s.Core, s.Current);
        if (op == "get")
        {
            Query(s, () => keys.Select(k => (Key: k, Flags: core.GetFlags(k))).ToList(), rows =>
            {
                foreach (var (k, flags) in rows)
                    s.AddNote($"{k}: {string.Join(" ", flags.Order(StringComparer.Ordinal).Select(f => f.Any(char.IsWhiteSpace) ? Json(w => w.WriteStringValue(f)) : f))}", note);
            });
            return;
        }
        var flags = words.Skip(2).ToList();
        if (keys.Count > 1)
        {
            s.AddNote("more than one key matches:");
            foreach (var k in keys) s.AddNote($"  /flag {op} {s.DisplayName(k)}.{k} {string.Join(" ", flags)}");
            return;
        }
        var key = keys[0];
        var name = s.DisplayName(key);
        Act(s, ct => op switch
        {
            "add" => core.AddFlagsAsync(key, flags, null, null, ct),
            "remove" => core.RemoveFlagsAsync(key, flags, null, null, ct),
            _ => core.SetFlagsAsync(key, flags, null, null, ct),
        }, $"flags/{op} [{string.Join(",", flags)}] for {name} ({key[..8]})");
    }

    /// <summary>/flags (and /flag list): every moderation row as JSON, as cabal-client prints moderation.list().</summary>
    private void ListFlags(CabalSession s)
    {
        var (core, note) = (s.Core, s.Current);
        Query(s, () => core.ListModeration().Select(FlagRowJson).ToList(), rows =>
        {
            foreach (var r in rows) s.AddNote(r, note);
        });
    }

    /// <summary>{"id":…,"channel":…,"flags":[…],"key":"author@seq"} — key only when the row came from a log entry.</summary>
    public static string FlagRowJson(ModerationEntry e) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("id", e.Id);
        w.WriteString("channel", e.Channel);
        w.WriteStartArray("flags");
        foreach (var f in e.Flags) w.WriteStringValue(f);
        w.WriteEndArray();
        if (e.Provenance is { } p) w.WriteString("key", p);
        w.WriteEndObject();
    });

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII readable; the note is sanitised for the terminal when shown.
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static readonly string[] ModerationHelp =
    [
        "moderation commands",
        "basic actions. the basic actions will be published to your log",
        "USAGE /<cmd> NICK{.PUBKEY} {REASON...}",
        "      /<cmd> NICK{.PUBKEY} --channel <channel name> --reason <reason>",
        "/hide: hide a user's messages across the whole cabal (or one channel with --channel)",
        "/unhide: unhide a user",
        "/mod: add a user as a moderator: their hides, mods and archives count for you",
        "/unmod: remove a user as a moderator",
        "/admin: add a user as an admin: like a mod, and may also change other mods and admins",
        "/unadmin: remove a user as an admin",
        "/block, /unblock: set or clear the block flag; cabal-wide, the user's feed is no longer served or fetched (/block NICK --delete also deletes its data)",
        "listing applied moderation actions. local actions (i.e. not published)",
        "/hides, /blocks, /mods, /admins: users holding that flag cabal-wide",
        "additional commands. local actions",
        "/ids: toggle showing key prefixes after nicks (Alt-L)",
        "/actions: the moderation actions of your current mods and admins, oldest first",
        "/roles: your current moderators and admins",
        "/inspect NICK{.PUBKEY}: the moderation actions that user published",
        "debug commands",
        "/flag (add|remove|set|get) NICK{.PUBKEY} [flags...], /flag list: raw flags, cabal-wide",
        "/flags: every moderation row as JSON",
        "you are always an admin of your own view; the roles of others count from the moment you",
        "(or an admin/mod of yours) grant them, and entries by users without a role are ignored",
    ];

    private static void Moderation(CabalSession s)
    {
        foreach (var line in ModerationHelp) s.AddNote(line);
    }
}
