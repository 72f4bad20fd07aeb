namespace Cabal.Cli.Client;

/// <summary>One slash command: its name, aliases, /help section, usage and one-line description.</summary>
public sealed record CommandInfo(string Name, IReadOnlyList<string> Aliases, string Section, string Usage, string Help);

/// <summary>
/// The slash commands the terminal client understands, with cabal-cli's names, aliases and /help
/// sections (spec §6.3). Lookup is by name first, then by alias, as cabal-cli does.
/// </summary>
public static class CommandCatalog
{
    public static IReadOnlyList<CommandInfo> All { get; } =
    [
        new("help", [], "basics", "/help [section]", "list the commands of a section (basics, channels, misc, moderation, pm, sharing, hotkeys)"),
        new("quit", ["exit"], "basics", "/quit", "exit the client"),
        new("nick", ["n"], "basics", "/nick [name]", "set (or print) your nick"),
        new("me", ["emote"], "basics", "/me text", "send an emote to the current channel"),
        new("say", [], "basics", "/say text", "send text as is (for lines starting with /)"),
        new("clear", [], "basics", "/clear", "clear the local notes of the current channel"),
        new("join", ["j"], "channels", "/join [channel]", "join a channel (default: default) and switch to it"),
        new("leave", ["l", "part"], "channels", "/leave [channel]", "leave a channel (default: the current one)"),
        new("channels", [], "channels", "/channels", "list channels: * if joined, members, topic"),
        new("topic", ["motd"], "channels", "/topic text", "set the topic of the current channel"),
        new("names", [], "misc", "/names", "list every known user with their key"),
        new("whoami", ["key"], "misc", "/whoami", "print your key"),
        new("whois", [], "misc", "/whois nick", "keys of the users with that nick"),
        new("pm", ["w"], "pm", "/pm NICK{.PUBKEY} text", "send a private message and open the conversation"),
        new("whoiskey", [], "misc", "/whoiskey key", "the nick of the user with that key"),
        new("read", [], "misc", "/read KEY@SEQ", "show the raw JSON of one log entry"),
        new("search", [], "misc", "/search term [--ch channel]", "find messages containing term in the current (or given) channel"),
        new("more", [], "misc", "/more", "load 250 more messages of the current channel"),
        new("panes", [], "misc", "/panes channels|cabals", "choose what Ctrl-N / Ctrl-P move through (Alt-N)"),
        new("hide", [], "moderation", "/hide NICK{.PUBKEY} [reason] [--channel C --reason R]", "hide a user's messages (cabal-wide or in a channel)"),
        new("unhide", [], "moderation", "/unhide NICK{.PUBKEY} [reason] [--channel C --reason R]", "show a hidden user again"),
        new("block", [], "moderation", "/block NICK{.PUBKEY} [reason] [--channel C --reason R] [--delete]", "block a user: cabal-wide, their feed is no longer replicated; --delete also deletes its data"),
        new("unblock", [], "moderation", "/unblock NICK{.PUBKEY} [reason] [--channel C --reason R]", "unblock a user"),
        new("mod", [], "moderation", "/mod NICK{.PUBKEY} [reason] [--channel C --reason R]", "make a user a moderator"),
        new("unmod", [], "moderation", "/unmod NICK{.PUBKEY} [reason] [--channel C --reason R]", "remove a moderator"),
        new("admin", [], "moderation", "/admin NICK{.PUBKEY} [reason] [--channel C --reason R]", "make a user an admin"),
        new("unadmin", [], "moderation", "/unadmin NICK{.PUBKEY} [reason] [--channel C --reason R]", "remove an admin"),
        new("hides", [], "moderation", "/hides", "list the users hidden cabal-wide"),
        new("blocks", [], "moderation", "/blocks", "list the users blocked cabal-wide"),
        new("mods", [], "moderation", "/mods", "list the cabal-wide moderators"),
        new("admins", [], "moderation", "/admins", "list the cabal-wide admins"),
        new("roles", [], "moderation", "/roles", "list your current admins and moderators"),
        new("actions", [], "moderation", "/actions", "the moderation actions of your admins and moderators, oldest first"),
        new("inspect", [], "moderation", "/inspect NICK{.PUBKEY}", "the moderation actions a user published"),
        new("flag", [], "moderation", "/flag add|remove|set NICK flags... | get NICK | list", "edit or read raw flags (cabal-wide)"),
        new("flags", [], "moderation", "/flags", "every moderation row as JSON"),
        new("ids", [], "moderation", "/ids", "toggle key prefixes after nicks (Alt-L)"),
        new("moderation", [], "moderation", "/moderation", "explain the moderation commands"),
        new("lockdown", [], "moderation", "/lockdown [on|off]", "take new feeds only from users an admin or mod vouches for (or show the state)"),
        new("archive", [], "moderation", "/archive channel [reason] [--reason R]", "archive a channel"),
        new("unarchive", ["restore"], "moderation", "/unarchive channel [reason] [--reason R]", "restore an archived channel"),
        new("archives", ["archived"], "moderation", "/archives", "list archived channels and the ones you restored"),
        new("add", ["cabal"], "sharing", "/add key-or-url", "open another cabal in this session"),
        new("new", [], "sharing", "/new", "create and open a new cabal (the current one stays open)"),
        new("cabals", [], "sharing", "/cabals", "list the cabals in this data directory"),
        new("peers", [], "sharing", "/peers", "list connections: nick, address, direction, source, feeds synced"),
        new("connect", [], "sharing", "/connect HOST:PORT", "dial a peer now (and keep redialling it)"),
        new("share", [], "sharing", "/share", "print this cabal's invite URL (and the one that makes you admin)"),
        new("whisper", [], "sharing", "/whisper [name]", "not supported in this client (needs the hyperswarm DHT)"),
    ];

    /// <summary>/help sections in display order; "hotkeys" lists key bindings rather than commands.</summary>
    public static IReadOnlyList<string> Sections { get; } = ["basics", "channels", "misc", "moderation", "pm", "sharing", "hotkeys"];

    public static IReadOnlyList<string> Hotkeys { get; } =
    [
        "Ctrl-N / Ctrl-P      next / previous entry of the selected pane (channels, or cabals)",
        "Alt-Down / Alt-Up    next / previous channel",
        "Alt-N                select the channels or the cabals pane for Ctrl-N / Ctrl-P (several cabals)",
        "Alt-L                toggle key prefixes after nicks (/ids)",
        "Ctrl-R               go to the first channel with mentions or unread messages",
        "Alt-1 .. Alt-9, Alt-0 go to channel 1..10 of the list",
        "Alt-Right / Alt-Left next / previous cabal (when several are open)",
        "PageUp / PageDown    scroll messages (older pages load on demand)",
        "Up / Down            input history",
        "Tab                  complete commands, channels and nicks",
        "F2                   show / hide the nick list",
        "Ctrl-U               clear the input line",
        "Ctrl-L               redraw",
        "Ctrl-C / Ctrl-Q      quit",
    ];

    /// <summary>The command called <paramref name="word"/> (name first, then aliases), or null.</summary>
    public static CommandInfo? Find(string word)
    {
        foreach (var c in All) if (string.Equals(c.Name, word, StringComparison.Ordinal)) return c;
        foreach (var c in All) if (c.Aliases.Contains(word, StringComparer.Ordinal)) return c;
        return null;
    }

    /// <summary>Every name and alias, for completion.</summary>
    public static IEnumerable<string> Words => All.SelectMany(c => c.Aliases.Prepend(c.Name));
}
