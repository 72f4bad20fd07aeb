using Cabal.Chat.Keys;
using Cabal.Chat.Moderation;

namespace Cabal.Cli.Client;

public sealed partial class ChatViewModel
{
    /// <summary>Handles an entered line: a slash command or a message to the focused channel.</summary>
    public void Submit(string line)
    {
        History.Add(line);
        Completer.Reset();
        Scroll = 0;
        Changed();
        var input = CommandParser.Parse(line);
        if (Session is not { } s) return;
        s.Unread.Remove(s.Current);
        s.Mentions.Remove(s.Current);
        switch (input.Kind)
        {
            case InputKind.Empty: return;
            case InputKind.Text: Send(s, line, emote: false); return;
            case InputKind.UnknownCommand: s.AddNote($"{input.Word} is not a command. type /help for commands"); return;
        }
        Run(s, input.Command!, input);
    }

    private void Run(CabalSession s, CommandInfo command, ParsedInput input)
    {
        var arg = input.Argument;
        switch (command.Name)
        {
            case "help": Help(s, arg); break;
            case "quit": QuitRequested?.Invoke(); break;
            case "nick":
                if (arg.Length == 0) s.AddNote("you are " + s.MyName);
                else Act(s, ct => s.Core.SetNickAsync(arg, ct), $"nick set to {arg}");
                break;
            case "me": if (Require(s, arg, command)) Send(s, arg, emote: true); break;
            case "say": if (Require(s, arg, command)) Send(s, arg, emote: false); break;
            case "clear": s.ClearNotes(s.Current); break;
            case "join": Join(s, CommandParser.ChannelArgument(arg, "default")); break;
            case "leave": Leave(s, arg); break;
            case "channels": ListChannels(s); break;
            case "topic":
                if (s.Current.Kind != ChannelKind.Channel) s.AddNote("/topic works in a channel");
                else if (Require(s, arg, command)) { var ch = s.Current.Name; Act(s, ct => s.Core.SetTopicAsync(ch, arg, ct), null); }
                break;
            case "names": Names(s); break;
            case "whoami": s.AddNote("your key: " + s.Core.LocalKey); break;
            case "whois":
                if (!Require(s, arg, command)) break;
                var keys = s.Names.Where(kv => kv.Value == arg).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
                if (keys.Count == 0) s.AddNote($"no user is called {arg}");
                foreach (var k in keys) s.AddNote($"{arg}: {k}");
                break;
            case "pm": PrivateMessage(s, input); break;
            case "hide" or "unhide" or "block" or "unblock" or "mod" or "unmod" or "admin" or "unadmin": Moderate(s, command.Name, arg); break;
            case "archive" or "unarchive": Archive(s, command.Name == "archive", arg); break;
            case "archives": Archives(s); break;
            case "hides": ListFlag(s, ModerationFlags.Hide); break;
            case "blocks": ListFlag(s, ModerationFlags.Block); break;
            case "mods": ListFlag(s, ModerationFlags.Mod); break;
            case "admins": ListFlag(s, ModerationFlags.Admin); break;
            case "roles": Roles(s); break;
            case "actions": Actions(s); break;
            case "inspect": Inspect(s, arg); break;
            case "flag": Flag(s, input); break;
            case "flags": ListFlags(s); break;
            case "moderation": Moderation(s); break;
            case "lockdown": Lockdown(s, arg); break;
            case "ids": ToggleIds(); break;
            case "whoiskey": WhoIsKey(s, arg); break;
            case "read": Read(s, input); break;
            case "search": Search(s, arg); break;
            case "more": More(s); break;
            case "panes": Panes(s, arg); break;
            case "whisper": Whisper(s); break;
            case "add":
                if (!CabalUrl.TryParse(arg.Trim(), out var url) || url is null) s.AddNote("usage: /add cabal://key (or a 64-hex key)");
                else OpenCabal(s, url);
                break;
            case "new": NewCabal(s); break;
            case "peers": Peers(s); break;
            case "connect": Connect(s, arg); break;
            case "cabals": Cabals(s); break;
            case "share": Share(s); break;
        }
    }

    private static bool Require(CabalSession s, string arg, CommandInfo command)
    {
        if (arg.Length > 0) return true;
        s.AddNote("usage: " + command.Usage);
        return false;
    }

    // Publishes text or an emote where the focus is; the status line then follows its delivery.
    private void Send(CabalSession s, string text, bool emote)
    {
        var target = s.Current;
        if (target.Kind == ChannelKind.Status) { s.AddNote("this is the status channel: /join a channel to talk"); return; }
        s.Command(async () =>
        {
            var seq = target.Kind == ChannelKind.Private
                ? await s.Core.PublishPrivateAsync(target.Name, text, emote).ConfigureAwait(false)
                : emote ? await s.Core.PublishEmoteAsync(target.Name, text).ConfigureAwait(false)
                : await s.Core.PublishTextAsync(target.Name, text).ConfigureAwait(false);
            Ui.Post(() => s.TrackSent(seq));
        });
    }

    // Runs an action off the UI thread; its note (if any) appears once it is written.
    private void Act(CabalSession s, Func<CancellationToken, Task> action, string? done)
    {
        var channel = s.Current;
        s.Command(async () =>
        {
            await action(CancellationToken.None).ConfigureAwait(false);
            if (done is not null) Ui.Post(() => s.AddNote(done, channel));
        });
    }

    private void Join(CabalSession s, string channel)
    {
        if (!s.Joined.Contains(channel)) s.Joined = [.. s.Joined.Append(channel).Order(StringComparer.Ordinal)];
        SwitchTo(ChannelRef.Channel(channel));
        s.Command(async () =>
        {
            await s.Core.WaitForOwnEntriesAsync().ConfigureAwait(false); // a /leave just before must be applied, or this join is skipped
            if (!s.Core.IsMember(s.Core.LocalKey, channel)) await s.Core.JoinAsync(channel).ConfigureAwait(false);
        });
    }

    private void Leave(CabalSession s, string arg)
    {
        if (arg.Trim().Length == 0 && s.Current.Kind == ChannelKind.Private)
        {
            s.PrivatePeers.Remove(s.Current.Name);
            SwitchTo(ChannelRef.Status);
            return;
        }
        var channel = CommandParser.ChannelArgument(arg, s.Current.Kind == ChannelKind.Channel ? s.Current.Name : "");
        if (channel.Length == 0) { s.AddNote("usage: /leave [channel]"); return; }
        s.Joined = [.. s.Joined.Where(c => c != channel)];
        if (s.Current == ChannelRef.Channel(channel)) SwitchTo(s.Joined.Count > 0 ? ChannelRef.Channel(s.Joined[0]) : ChannelRef.Status);
        s.Changed();
        s.Command(() => s.Core.LeaveAsync(channel));
    }

    private void ListChannels(CabalSession s)
    {
        var me = s.Core.LocalKey;
        var channel = s.Current;
        s.Command(async () =>
        {
            await s.Core.WaitForOwnEntriesAsync().ConfigureAwait(false); // /join x then /channels lists x
            var rows = s.Core.GetChannels().Select(c =>
            {
                var topic = s.Core.GetTopic(c) ?? "";
                var joined = s.Core.IsMember(me, c) ? "*" : " ";
                return $"{joined} {c} ({s.Core.GetMembers(c).Count}) {(topic.Length > 40 ? topic[..40] : topic)}";
            }).ToList();
            Ui.Post(() =>
            {
                if (rows.Count == 0) s.AddNote("no channels yet", channel);
                foreach (var r in rows) s.AddNote(r, channel);
            });
        });
    }

    private static void Names(CabalSession s)
    {
        var users = s.Names
            .OrderByDescending(kv => s.Online.Contains(kv.Key)).ThenByDescending(kv => !string.IsNullOrEmpty(kv.Value))
            .ThenBy(kv => kv.Value ?? kv.Key, StringComparer.OrdinalIgnoreCase).ToList();
        s.AddNote($"{users.Count} known users:");
        foreach (var (key, name) in users) s.AddNote($"  {(string.IsNullOrEmpty(name) ? "conspirator" : name)}: {key}{(s.Online.Contains(key) ? " (online)" : "")}");
    }

    /// <summary>One user key for NICK{.PUBKEY}, or null after listing what went wrong.</summary>
    private static string? ResolveUser(CabalSession s, string query)
    {
        var keys = NickResolver.Resolve(query, s.Names);
        if (keys.Count == 1) return keys[0];
        if (keys.Count == 0) { s.AddNote($"no user matches {query}"); return null; }
        s.AddNote($"{query} could be several users; use name.keyprefix:");
        foreach (var k in keys) s.AddNote($"  {s.DisplayName(k)}.{k[..8]}");
        return null;
    }

    private void PrivateMessage(CabalSession s, ParsedInput input)
    {
        var (target, text) = CommandParser.TargetAndRest(input.Argument);
        if (target.Length == 0) { s.AddNote("usage: /pm NICK{.PUBKEY} text"); return; }
        if (!s.Core.CanReadPrivateMessages) { s.AddNote("private messages need this cabal's secret key"); return; }
        if (ResolveUser(s, target) is not { } key) return;
        if (!s.PrivatePeers.Contains(key)) s.PrivatePeers.Add(key);
        SwitchTo(ChannelRef.Private(key));
        if (text.Length > 0) Send(s, text, emote: false);
    }

    private void OpenCabal(CabalSession s, CabalUrl url)
    {
        s.AddNote($"opening {url}…");
        s.Command(async () =>
        {
            var core = await Host.OpenCabalAsync(url, CancellationToken.None).ConfigureAwait(false);
            Host.RememberCabal(core);
            Ui.Post(() => AddSession(core));
        });
    }

    /// <summary>The invite, with the URL alone on its row so it copies whole; then the one that also makes you their admin.</summary>
    private static void Share(CabalSession s)
    {
        s.AddNote("to invite someone, give them this URL (they open it with: cabal URL, or /add URL):");
        s.AddNote(new CabalUrl(s.Core.KeyHex).ToString());
        s.AddNote("the same invite, also making you their admin: " + new CabalUrl(s.Core.KeyHex, [s.Core.LocalKey]));
    }

    // The old cabal stays open beside the new one: say where each is and how to get back.
    private void NewCabal(CabalSession s)
    {
        var old = s.Core.KeyHex;
        s.Command(async () =>
        {
            var core = await Host.OpenCabalAsync(CabalUrl.Generate(), CancellationToken.None).ConfigureAwait(false);
            Host.RememberCabal(core);
            Ui.Post(() =>
            {
                var created = AddSession(core);
                var status = ChannelRef.Status;
                SwitchTo(status);
                created.AddNote("you created a new cabal. its URL:", status);
                created.AddNote(new CabalUrl(core.KeyHex).ToString(), status);
                created.AddNote("your previous cabal is still open: Alt-Left / Alt-Right switch; /cabals lists them all; it was:", status);
                created.AddNote(new CabalUrl(old).ToString(), status);
                created.AddNote("next start opens this new cabal; `cabal cabal://" + old[..8] + "…` (the full URL above) opens the old one", status);
                s.AddNote("created cabal://" + core.KeyHex + " and switched to it (Alt-Right / Alt-Left to come back)", ChannelRef.Status);
            });
        });
    }

    private static void Help(CabalSession s, string section)
    {
        section = section.Trim().ToLowerInvariant();
        if (section.Length == 0 || !CommandCatalog.Sections.Contains(section))
        {
            s.AddNote("help sections: " + string.Join(", ", CommandCatalog.Sections) + " (type /help <section>)");
            return;
        }
        if (section == "hotkeys") { foreach (var h in CommandCatalog.Hotkeys) s.AddNote(h); return; }
        foreach (var c in CommandCatalog.All.Where(c => c.Section == section))
            s.AddNote($"{c.Usage}{(c.Aliases.Count > 0 ? " (" + string.Join(", ", c.Aliases.Select(a => "/" + a)) + ")" : "")}  {c.Help}");
    }
}
