using System.Text;
using Cabal.Chat;
using Cabal.Chat.Messages;

namespace Cabal.Cli.Client;

public enum Pane { Channels, Cabals }

// Lookups and display toggles: /whoiskey, /read, /search, /more, /ids, /panes, /whisper.
public sealed partial class ChatViewModel
{
    /// <summary>Messages /search looks at (newest first) before it stops: a bound on the time a search can take.</summary>
    public const int SearchScanLimit = 10_000;

    /// <summary>Matches /search prints at most.</summary>
    public const int SearchMatchLimit = 100;

    /// <summary>Messages /more adds to the loaded backlog (cabal-cli's step).</summary>
    public const int MoreStep = 250;

    /// <summary>Characters of an entry /read shows; log entries may be megabytes.</summary>
    public const int ReadLimit = 4000;

    /// <summary>Whether nicks carry their key prefix (nick.prefix), /ids and Alt-L.</summary>
    public bool ShowIds { get; private set; }

    /// <summary>What Ctrl-N / Ctrl-P move through (/panes, Alt-N).</summary>
    public Pane Pane { get; private set; } = Pane.Channels;

    public void ToggleIds()
    {
        ShowIds = !ShowIds;
        Session?.AddNote($"toggled identifiers {(ShowIds ? "on" : "off")}");
        Changed();
    }

    /// <summary>Alt-N: switches the pane Ctrl-N / Ctrl-P navigate, only when several cabals are open.</summary>
    public void TogglePane()
    {
        if (_sessions.Count < 2) return;
        SetPane(Pane == Pane.Channels ? Pane.Cabals : Pane.Channels);
    }

    private void SetPane(Pane pane)
    {
        Pane = pane;
        Session?.AddNote($"ctrl-n/ctrl-p now move through the {(pane == Pane.Cabals ? "cabals" : "channels")} pane");
        Changed();
    }

    /// <summary>Ctrl-N / Ctrl-P: the next or previous entry of the selected pane, wrapping.</summary>
    public void NextInPane(int delta)
    {
        if (Pane == Pane.Cabals && _sessions.Count > 1) NextCabal(delta);
        else NextChannel(delta);
    }

    private void Panes(CabalSession s, string arg)
    {
        switch (arg.Trim())
        {
            case "channels": SetPane(Pane.Channels); break;
            case "cabals": SetPane(Pane.Cabals); break;
            default: s.AddNote("usage: /panes channels|cabals"); break;
        }
    }

    private static void WhoIsKey(CabalSession s, string arg)
    {
        var key = arg.Trim().Replace("\"", "", StringComparison.Ordinal).ToLowerInvariant();
        if (key.Length == 0) { s.AddNote("usage: /whoiskey <public key>"); return; }
        if (!s.Names.TryGetValue(key, out var name)) { s.AddNote($"no user associated with key {key}"); return; }
        s.AddNote($"{key} is currently known as: {(string.IsNullOrEmpty(name) ? "<unset nickname>" : name)}");
    }

    /// <summary>/read KEY@SEQ: the raw JSON of one log entry (shown sanitised, and cut when huge).</summary>
    private void Read(CabalSession s, ParsedInput input)
    {
        var reference = input.Words.Count > 0 ? input.Words[0] : "";
        try { CabalCore.ParseEntryReference(reference); }
        catch (FormatException) { s.AddNote("usage: /read KEY@SEQ (KEY: 64 hex, SEQ: a number)"); return; }
        var (core, note) = (s.Core, s.Current);
        Query(s, () => core.ReadEntry(reference), block =>
        {
            if (block is null) { s.AddNote($"no entry {reference} is stored here", note); return; }
            var text = Encoding.UTF8.GetString(block);
            s.AddNote(text.Length <= ReadLimit ? text : $"{text[..ReadLimit]}… ({block.Length} bytes)", note);
        });
    }

    /// <summary>/search term [--ch channel]: chat/text messages containing the term, oldest first.</summary>
    private void Search(CabalSession s, string arg)
    {
        var options = CommandOptions.Parse(arg);
        var term = options.Plain;
        var given = options.Get("ch")?.TrimStart('#');
        const string usage = "usage: /search term [--ch channel]";
        if (term.Length == 0) { s.AddNote(usage); return; }
        if (given is null && s.Current.Kind != ChannelKind.Channel) { s.AddNote("/search looks in a channel: switch to one, or add --ch channel"); return; }
        var channel = given ?? s.Current.Name;
        var (core, note) = (s.Core, s.Current);
        Query(s, () => SearchIn(core, given is not null, channel, term), found =>
        {
            if (!found.Exists) { s.AddNote($"channel {channel} does not exist", note); s.AddNote(usage, note); return; }
            var matches = found.Matches;
            s.AddNote($"{matches.Count} matching {(matches.Count == 1 ? "log" : "logs")} found in #{channel}", note);
            foreach (var m in matches.Reverse().Where(m => m.Type == MessageTypes.Text))
                s.AddNote($"<{s.DisplayName(m.Author)}> {m.Text}", note);
            if (matches.Count >= SearchMatchLimit) s.AddNote($"(only the newest {SearchMatchLimit} matches are shown)", note);
            else if (found.Scanned >= SearchScanLimit) s.AddNote($"(searched the newest {SearchScanLimit} messages only)", note);
        });
    }

    private static (bool Exists, IReadOnlyList<ChatMessage> Matches, int Scanned) SearchIn(CabalCore core, bool checkChannel, string channel, string term)
    {
        if (checkChannel && !core.GetChannels().Contains(channel, StringComparer.Ordinal)) return (false, [], 0);
        var (matches, scanned) = core.SearchMessages(channel, term, SearchScanLimit, SearchMatchLimit);
        return (true, matches, scanned);
    }

    /// <summary>/more: loads 250 more messages of the current channel's backlog.</summary>
    private static void More(CabalSession s)
    {
        if (s.Current.Kind == ChannelKind.Status) { s.AddNote("/more loads older messages of a channel"); return; }
        if (s.ReachedStart) { s.AddNote("no older messages: this is the start of the channel"); return; }
        var note = s.Current;
        if (!s.LoadOlder(MoreStep, loaded => s.AddNote($"loaded {loaded} older messages{(s.ReachedStart ? " (start of the channel)" : "")}", note)))
            s.AddNote("older messages are already loading");
    }

    private static void Whisper(CabalSession s) =>
        s.AddNote("not supported in this client: /whisper announces the cabal key under a whisper:// name on the hyperswarm DHT (paperslip), " +
                  "which this client does not join, and LAN discovery only carries discovery keys. use /share and pass the cabal:// link on");

    /// <summary>
    /// /lockdown on|off: new feeds only from users an admin or mod vouches for (issue 20); bare, the
    /// state. Setting it flips a flag on the cabal's multifeed set: cheap enough for the UI thread.
    /// </summary>
    private void Lockdown(CabalSession s, string arg)
    {
        var word = arg.Trim().ToLowerInvariant();
        if (word.Length == 0)
        {
            s.AddNote(s.Sync is { Lockdown: true } ? "lockdown is on: new feeds only from users an admin or mod vouches for" : "lockdown is off");
            return;
        }
        if (word is not ("on" or "off")) { s.AddNote("usage: /lockdown [on|off]"); return; }
        var on = word == "on";
        if (!Host.SetLockdown(s.Core, on)) { s.AddNote("lockdown is not available here"); return; }
        s.AddNote(on ? "lockdown on: new feeds are taken only from users an admin or mod vouches for; known users carry on"
            : "lockdown off: new members' feeds are taken again"); // the status line follows with the next status
    }
}
