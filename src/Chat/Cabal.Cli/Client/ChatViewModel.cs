using System.Globalization;
using Cabal.Chat;

namespace Cabal.Cli.Client;

/// <summary>
/// Everything the terminal client shows and does, without Terminal.Gui: the open cabals, the focused
/// channel, the input line's history and completion, and what each pane displays. Call it on the UI
/// thread only; background work comes back through <see cref="Ui"/>, drained by <see cref="Tick"/>.
/// </summary>
public sealed partial class ChatViewModel(IChatHost host, UiQueue? ui = null) : IAsyncDisposable
{
    private readonly List<CabalSession> _sessions = [];
    private int _current = -1;
    private int _ownVersion;
    private int _lastTickVersion = -1;

    public IChatHost Host { get; } = host;
    public UiQueue Ui { get; } = ui ?? new UiQueue();
    public IReadOnlyList<CabalSession> Sessions => _sessions;
    public CabalSession? Session => _current >= 0 ? _sessions[_current] : null;
    public InputHistory History { get; } = new();
    public TabCompleter Completer { get; } = new();
    public bool ShowNicks { get; private set; } = true;

    /// <summary>How many wrapped rows the message pane is scrolled up from the newest.</summary>
    public int Scroll { get; private set; }

    /// <summary>Raised on /quit.</summary>
    public event Action? QuitRequested;

    /// <summary>Moves whenever anything on screen should change.</summary>
    public int Version => _ownVersion + _sessions.Sum(s => s.Version);

    private void Changed() => _ownVersion++;

    /// <summary>Adds an opened cabal and focuses it; its latest messages load in the background.</summary>
    public CabalSession AddSession(CabalCore core, string? channel = null)
    {
        var existing = _sessions.FindIndex(s => s.Core.KeyHex == core.KeyHex);
        if (existing >= 0) { FocusCabal(existing); return _sessions[existing]; }
        var session = new CabalSession(core, Host, Ui);
        _sessions.Add(session);
        session.Start(channel);
        FocusCabal(_sessions.Count - 1);
        return session;
    }

    /// <summary>Runs posted background results (UI thread). Returns whether the screen needs a redraw.</summary>
    public bool Tick()
    {
        Ui.Drain();
        var v = Version;
        if (v == _lastTickVersion) return false;
        _lastTickVersion = v;
        return true;
    }

    // ---- navigation ----

    public void FocusCabal(int index)
    {
        if (index < 0 || index >= _sessions.Count) return;
        if (Session is { } old) old.Focused = false;
        _current = index;
        _sessions[index].Focused = true;
        _sessions[index].Unread.Remove(_sessions[index].Current);
        _sessions[index].Mentions.Remove(_sessions[index].Current);
        Scroll = 0;
        Changed();
    }

    public void NextCabal(int delta)
    {
        if (_sessions.Count < 2) return;
        FocusCabal(((_current + delta) % _sessions.Count + _sessions.Count) % _sessions.Count);
    }

    public void SwitchTo(ChannelRef channel)
    {
        if (Session is not { } s) return;
        Scroll = 0;
        s.SwitchTo(channel);
        Changed();
    }

    /// <summary>Next (+1) or previous (-1) entry of the channel pane, wrapping (Ctrl-N / Ctrl-P).</summary>
    public void NextChannel(int delta)
    {
        var entries = ChannelEntries();
        if (entries.Count == 0) return;
        var i = Math.Max(0, entries.ToList().FindIndex(e => e.Current));
        SwitchTo(entries[((i + delta) % entries.Count + entries.Count) % entries.Count].Ref);
    }

    /// <summary>Entry <paramref name="number"/> (1-based) of the channel pane (Alt-1 … Alt-9, Alt-0 for 10).</summary>
    public void GoToEntry(int number)
    {
        var entries = ChannelEntries();
        if (number >= 1 && number <= entries.Count) SwitchTo(entries[number - 1].Ref);
    }

    /// <summary>The first channel with mentions, else the first with unread messages (Ctrl-R); then other cabals.</summary>
    public bool JumpToUnread()
    {
        if (Session is not { } s) return false;
        var entries = ChannelEntries();
        var target = entries.FirstOrDefault(e => e.Mention && !e.Current) ?? entries.FirstOrDefault(e => e.Unread > 0 && !e.Current);
        if (target is not null) { SwitchTo(target.Ref); return true; }
        var other = _sessions.FindIndex(o => o != s && o.Unread.Count > 0);
        if (other < 0) return false;
        FocusCabal(other);
        return JumpToUnread();
    }

    public void ToggleNicks() { ShowNicks = !ShowNicks; Changed(); }

    /// <summary>Scrolls the message pane by <paramref name="rows"/> (positive: back in time), given how many rows it holds.</summary>
    public void ScrollBy(int rows, int totalRows, int visibleRows)
    {
        var max = Math.Max(0, totalRows - visibleRows);
        var wanted = Scroll + rows;
        // PageUp past the oldest loaded line fetches the previous page from storage.
        if (rows > 0 && wanted >= max) Session?.LoadOlder();
        Scroll = Math.Clamp(wanted, 0, Math.Max(max, 0));
        Changed();
    }

    // ---- what the panes show ----

    public IReadOnlyList<ChannelEntry> ChannelEntries()
    {
        if (Session is not { } s) return [];
        var refs = new List<ChannelRef> { ChannelRef.Status };
        refs.AddRange(s.PrivatePeers.Select(ChannelRef.Private));
        refs.AddRange(s.Joined.Where(c => !s.Archived.Contains(c)).Select(ChannelRef.Channel));
        // A focused channel that is not joined (or archived) is still listed, so the pane shows where you are.
        if (!refs.Contains(s.Current)) refs.Add(s.Current);
        return refs.Select(r => new ChannelEntry(r, Label(s, r), r == s.Current, s.Unread.GetValueOrDefault(r), s.Mentions.Contains(r))).ToList();
    }

    private static string Label(CabalSession s, ChannelRef r) => r.Kind switch
    {
        ChannelKind.Private => "+" + TerminalText.Sanitize(s.DisplayName(r.Name)),
        _ => TerminalText.Sanitize(r.Name),
    };

    /// <summary>The focused channel's messages and local notes, oldest first, sanitised.</summary>
    public IReadOnlyList<DisplayLine> DisplayLines()
    {
        if (Session is not { } s) return [];
        IEnumerable<ChatLine> lines = s.Lines;
        var notes = s.NotesOf(s.Current);
        if (notes.Count > 0) lines = lines.Concat(notes).OrderBy(l => l.Position.Timestamp);
        var result = lines.Select(l => ToDisplay(s, l, ShowIds)).ToList();
        if (s.Loading) result.Add(new DisplayLine("", "", "loading…", LineKind.Notice, false, ""));
        return result;
    }

    /// <summary>A user's name as shown in messages and the nick list: with /ids on, nick.keyprefix.</summary>
    private static string Nick(CabalSession s, string key, bool ids) => ids ? s.DisplayName(key) + "." + s.IdPrefix(key) : s.DisplayName(key);

    private static DisplayLine ToDisplay(CabalSession s, ChatLine l, bool ids)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Clamp(l.Timestamp, 0, 253402300799999))
            .ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var nick = l.Kind == LineKind.Notice ? "" : TerminalText.Sanitize(Nick(s, l.Author, ids));
        var mention = l.Kind != LineKind.Notice && l.Author != s.Core.LocalKey && s.MentionsMe(l.Text);
        return new DisplayLine(time, nick, TerminalText.Sanitize(l.Text), l.Kind, mention, l.Author);
    }

    public string TopicBar()
    {
        if (Session is not { } s) return "";
        return s.Current.Kind switch
        {
            ChannelKind.Status => "cabal://" + s.Core.KeyHex,
            ChannelKind.Private => "private messages with " + TerminalText.Sanitize(s.DisplayName(s.Current.Name)),
            _ => "#" + TerminalText.Sanitize(s.Current.Name) + (string.IsNullOrEmpty(s.Topic) ? "" : " ➤ " + TerminalText.Sanitize(s.Topic)),
        };
    }

    /// <summary>The nick pane: the channel's members (every user in !status), online first, named before unnamed.</summary>
    public IReadOnlyList<(string Name, bool Online)> NickList()
    {
        if (Session is not { } s) return [];
        IEnumerable<string> keys = s.Current.Kind == ChannelKind.Status ? s.Names.Keys : s.Members;
        return keys.Distinct()
            .Select(k => (Key: k, Name: TerminalText.Sanitize(Nick(s, k, ShowIds)), Named: !string.IsNullOrEmpty(s.Names.GetValueOrDefault(k)), Online: s.Online.Contains(k) || k == s.Core.LocalKey))
            .OrderByDescending(u => u.Online).ThenByDescending(u => u.Named).ThenBy(u => u.Name, StringComparer.OrdinalIgnoreCase)
            .Select(u => (u.Name, u.Online)).ToList();
    }

    /// <summary>Peers, sync progress (feeds, blocks, indexed messages) and the delivery of my last message.</summary>
    public string StatusLine()
    {
        if (Session is not { } s) return "opening…";
        var parts = new List<string>();
        var sync = s.Sync;
        parts.Add($"peers {sync?.Peers ?? 0}");
        if (s.Dht is { } dht) parts.Add(dht);
        if (sync is not null) parts.Add($"feeds {sync.Feeds} · blocks {sync.Blocks}/{Math.Max(sync.Blocks, sync.KnownBlocks)}");
        if (s.IndexProgress is var (indexed, available)) parts.Add($"indexed {indexed}/{available}");
        if (s.LastSent is { } r) parts.Add("last message: " + r);
        if (Scroll > 0) parts.Add(s.LoadingOlder ? "loading older…" : s.ReachedStart ? "start of channel · more below" : "more below");
        return string.Join(" │ ", parts);
    }

    public string Prompt()
    {
        if (Session is not { } s) return "[…]";
        var where = s.Current.Kind == ChannelKind.Private ? "pm with " + TerminalText.Sanitize(s.DisplayName(s.Current.Name)) : TerminalText.Sanitize(s.Current.Name);
        return $"[{TerminalText.Sanitize(s.MyName)}:{where}]";
    }

    /// <summary>The cabals row (only with several cabals): first 6 hex of each key, the focused one in parentheses.</summary>
    public string? CabalsRow()
    {
        if (_sessions.Count < 2) return null;
        return (Pane == Pane.Cabals ? "cabals (ctrl-n/p): " : "cabals: ") + string.Join(" ", _sessions.Select((s, i) =>
        {
            var name = s.Core.KeyHex[..6] + (s.Unread.Count > 0 ? "*" : "");
            return i == _current ? $"({name})" : name;
        }));
    }

    // ---- input ----

    public (string Text, int Cursor)? Complete(string text, int cursor)
    {
        if (Session is not { } s) return null;
        var channels = s.Joined.Concat(s.Archived).Distinct().ToList();
        var nicks = s.Names.Select(kv => string.IsNullOrEmpty(kv.Value) ? kv.Key[..8] : kv.Value).ToList();
        return Completer.Complete(text, cursor, channels, nicks);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _sessions) await s.DisposeAsync().ConfigureAwait(false);
        _sessions.Clear();
    }
}
