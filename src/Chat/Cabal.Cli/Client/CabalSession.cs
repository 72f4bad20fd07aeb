using Cabal.Chat;
using Cabal.Chat.Events;
using Cabal.Chat.Messages;
using Cabal.Chat.Node;

namespace Cabal.Cli.Client;

/// <summary>
/// The client's state for one open cabal. Fields are read and written on the UI thread only; the
/// storage queries that fill them run on background tasks that post their results through the
/// <see cref="UiQueue"/>, so the UI thread never waits on LMDB or the network.
/// </summary>
public sealed partial class CabalSession : IAsyncDisposable
{
    public const int PageSize = 100;

    private readonly IChatHost _host;
    private readonly UiQueue _ui;
    private readonly CabalSubscription _subscription;
    private readonly CancellationTokenSource _stop = new();
    private Task _commands = Task.CompletedTask; // the last command's work (UI thread only)
    private readonly HashSet<(string, ulong)> _loaded = [];
    private readonly Dictionary<ChannelRef, List<ChatLine>> _notes = [];
    private readonly SemaphoreSlim _statusWake = new(0, 1);
    private Task _eventPump = Task.CompletedTask;
    private Task _statusPump = Task.CompletedTask;
    private int _generation;
    // Read by background tasks to decide what to query; written on the UI thread.
    private volatile string _currentName = ChannelRef.StatusName;
    private long _lastSentSeq = -1;
    private (int Count, Dictionary<string, int> Lengths)? _prefixes;

    public CabalSession(CabalCore core, IChatHost host, UiQueue ui)
    {
        Core = core;
        _host = host;
        _ui = ui;
        // Subscribe before the first queries, so nothing indexed in between is missed.
        _subscription = core.Subscribe();
        _host.NetworkChanged += OnNetworkChanged;
    }

    public CabalCore Core { get; }
    public Dictionary<string, string?> Names { get; } = new(StringComparer.Ordinal);
    public List<string> Joined { get; set; } = [];
    public HashSet<string> Archived { get; private set; } = new(StringComparer.Ordinal);
    public List<string> PrivatePeers { get; } = [];
    public HashSet<string> Online { get; private set; } = new(StringComparer.Ordinal);
    public Dictionary<ChannelRef, int> Unread { get; } = [];
    public HashSet<ChannelRef> Mentions { get; } = [];
    public ChannelRef Current { get; private set; } = ChannelRef.Status;
    /// <summary>Messages of the current channel, oldest first.</summary>
    public List<ChatLine> Lines { get; } = [];
    public string? Topic { get; private set; }
    public IReadOnlyList<string> Members { get; private set; } = [];
    public bool Loading { get; private set; }
    public bool ReachedStart { get; private set; }
    public bool LoadingOlder { get; private set; }
    public SyncStatus? Sync { get; private set; }
    /// <summary>The DHT's state for the status line (IChatHost.DhtSummary), null when off.</summary>
    public string? Dht { get; private set; }
    public (long Indexed, long Available)? IndexProgress { get; private set; }
    public Receipt? LastSent { get; private set; }
    /// <summary>Bumped whenever something visible changed; the UI redraws when it moves.</summary>
    public int Version { get; private set; }
    /// <summary>Whether this session is the one on screen (unfocused sessions count every message as unread).</summary>
    public bool Focused { get; set; }

    public string MyName => Names.TryGetValue(Core.LocalKey, out var n) && !string.IsNullOrEmpty(n) ? n : Core.LocalKey[..8];

    public string DisplayName(string key) => Names.TryGetValue(key, out var n) && !string.IsNullOrEmpty(n) ? n : key.Length >= 8 ? key[..8] : key;

    /// <summary>The key prefix /ids shows after the nick: 4 hex, longer where known keys share them.</summary>
    public string IdPrefix(string key)
    {
        // Users are only ever added, so the count tells whether the cached lengths are current.
        if (_prefixes is not { } p || p.Count != Names.Count) _prefixes = p = (Names.Count, KeyPrefixes.Compute(Names.Keys));
        return key[..Math.Min(key.Length, p.Lengths.GetValueOrDefault(key, KeyPrefixes.MinLength))];
    }

    public List<ChatLine> NotesOf(ChannelRef channel) => _notes.TryGetValue(channel, out var l) ? l : _notes[channel] = [];

    public void Changed() => Version++;

    /// <summary>Starts the background pumps and the first load: the given (or remembered) channel's latest page first.</summary>
    public void Start(string? channel = null)
    {
        var first = channel ?? _host.LastChannel(Core) ?? "default";
        // Show the channel's messages before anything else: they are one LMDB read away.
        SwitchTo(first == ChannelRef.StatusName ? ChannelRef.Status : ChannelRef.Channel(first), remember: false);
        _ = Background(async () =>
        {
            var names = Core.GetUsers().ToDictionary(u => u.Key, u => u.Name, StringComparer.Ordinal);
            var (joined, archived) = QueryJoined();
            var pms = Core.CanReadPrivateMessages ? Core.ListPrivateConversations() : [];
            var online = Core.OnlinePeers.ToHashSet(StringComparer.Ordinal);
            _ui.Post(() =>
            {
                foreach (var (k, v) in names) Names[k] = v;
                SetJoined(joined, archived);
                foreach (var p in pms) if (!PrivatePeers.Contains(p)) PrivatePeers.Add(p);
                Online = online;
                Changed();
            });
            // A new user gets "default", as cabal-client does, so there is somewhere to talk.
            if (joined.Count == 0 && !Core.IsMember(Core.LocalKey, "default")) await Core.JoinAsync("default", _stop.Token).ConfigureAwait(false);
        });
        _eventPump = Task.Run(() => EventPumpAsync(_stop.Token));
        _statusPump = Task.Run(() => StatusPumpAsync(_stop.Token));
    }

    private (List<string> Joined, HashSet<string> Archived) QueryJoined()
    {
        var archived = Core.GetArchivedChannels().ToHashSet(StringComparer.Ordinal);
        var joined = Core.GetMemberships(Core.LocalKey).Order(StringComparer.Ordinal).ToList();
        return (joined, archived);
    }

    private void SetJoined(List<string> joined, HashSet<string> archived)
    {
        Joined = joined;
        Archived = archived;
    }

    /// <summary>Focuses a channel: clears its unread state and loads its latest page in the background.</summary>
    public void SwitchTo(ChannelRef channel, bool remember = true)
    {
        Current = channel;
        _currentName = channel.Kind == ChannelKind.Channel ? channel.Name : ChannelRef.StatusName;
        Unread.Remove(channel);
        Mentions.Remove(channel);
        Lines.Clear();
        _loaded.Clear();
        Topic = null;
        Members = [];
        ReachedStart = channel.Kind == ChannelKind.Status;
        LoadingOlder = false;
        Loading = channel.Kind != ChannelKind.Status;
        var generation = ++_generation;
        Changed();
        if (remember && channel.Kind == ChannelKind.Channel) _ = Background(() => { _host.RememberChannel(Core, channel.Name); return Task.CompletedTask; });
        if (channel.Kind == ChannelKind.Status) return;
        _ = Background(() =>
        {
            var page = QueryPage(channel, null);
            var topic = channel.Kind == ChannelKind.Channel ? Core.GetTopic(channel.Name) : null;
            var members = channel.Kind == ChannelKind.Channel ? Core.GetMembers(channel.Name) : [channel.Name, Core.LocalKey];
            _ui.Post(() =>
            {
                if (generation != _generation) return;
                Merge(page);
                Topic = topic;
                Members = members;
                Loading = false;
                ReachedStart = page.Count < PageSize;
                Changed();
            });
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Loads <paramref name="count"/> messages before the oldest loaded one (PageUp at the top of the
    /// backlog, or /more); <paramref name="loaded"/> then gets how many came. Returns whether a load started.
    /// </summary>
    public bool LoadOlder(int count = PageSize, Action<int>? loaded = null)
    {
        if (ReachedStart || LoadingOlder || Loading || Current.Kind == ChannelKind.Status) return false;
        LoadingOlder = true;
        var (channel, generation) = (Current, _generation);
        MessagePosition? before = Lines.Count > 0 ? Lines[0].Position : null;
        Changed();
        _ = Background(() =>
        {
            var page = QueryPage(channel, before, count);
            _ui.Post(() =>
            {
                if (generation != _generation) return;
                Merge(page);
                LoadingOlder = false;
                ReachedStart = page.Count < count;
                Changed();
                loaded?.Invoke(page.Count);
            });
            return Task.CompletedTask;
        });
        return true;
    }

    private List<ChatLine> QueryPage(ChannelRef channel, MessagePosition? before, int count = PageSize)
    {
        var q = new MessageQuery { Limit = count, Before = before };
        return channel.Kind == ChannelKind.Private
            ? Core.GetPrivateMessages(channel.Name, q).Select(ChatLine.From).ToList()
            : Core.GetMessages(channel.Name, q).Select(ChatLine.From).ToList();
    }

    // Adds lines to the current channel in order, skipping ones already shown (a live event may race a page load).
    private void Merge(IEnumerable<ChatLine> lines)
    {
        var added = false;
        foreach (var l in lines)
        {
            if (!_loaded.Add((l.Author, l.Seq))) continue;
            Lines.Add(l);
            added = true;
        }
        if (added) Lines.Sort(static (a, b) => Compare(a.Position, b.Position));
    }

    private static int Compare(MessagePosition a, MessagePosition b)
    {
        var c = a.Timestamp.CompareTo(b.Timestamp);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Author, b.Author);
        return c != 0 ? c : a.Seq.CompareTo(b.Seq);
    }

    /// <summary>Records a message I just published, whose delivery the status line follows.</summary>
    public void TrackSent(ulong seq)
    {
        LastSent = new Receipt(seq, 0);
        Interlocked.Exchange(ref _lastSentSeq, (long)seq);
        Changed();
        WakeStatus();
    }

    public void AddNote(string text, ChannelRef? channel = null)
    {
        NotesOf(channel ?? Current).Add(ChatLine.Note(text));
        Changed();
    }

    public void ClearNotes(ChannelRef channel)
    {
        NotesOf(channel).Clear();
        Changed();
    }

    /// <summary>
    /// Runs a command's storage work off the UI thread, after the work of the commands typed before
    /// it: two lines pasted at once are published in order, and /join, /leave, /join ends joined.
    /// Call on the UI thread.
    /// </summary>
    public Task Command(Func<Task> work)
    {
        var previous = _commands;
        return _commands = Background(async () =>
        {
            await previous.ConfigureAwait(false); // never faults: Background turns failures into notes
            await work().ConfigureAwait(false);
        });
    }

    /// <summary>Runs storage work off the UI thread; a failure becomes a note in !status rather than a crash.</summary>
    public Task Background(Func<Task> work) => Task.Run(async () =>
    {
        try { await work().ConfigureAwait(false); }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (ObjectDisposedException) when (_stop.IsCancellationRequested) { }
        catch (Exception e) { _ui.Post(() => AddNote("error: " + TerminalText.Sanitize(e.Message), ChannelRef.Status)); }
    });

    private void OnNetworkChanged(string cabalKey)
    {
        if (cabalKey == Core.KeyHex) WakeStatus();
    }

    private void WakeStatus()
    {
        try { if (_statusWake.CurrentCount == 0) _statusWake.Release(); }
        catch (SemaphoreFullException) { }
        catch (ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _host.NetworkChanged -= OnNetworkChanged;
        await _stop.CancelAsync().ConfigureAwait(false);
        _subscription.Dispose();
        try { await Task.WhenAll(_eventPump, _statusPump).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
