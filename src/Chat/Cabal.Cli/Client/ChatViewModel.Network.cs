using System.Globalization;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;

namespace Cabal.Cli.Client;

// What the client says about the network and the cabals: the first screen of !status, peers joining
// and leaving, /peers, /connect, /cabals, and the status line's words.
public sealed partial class ChatViewModel
{
    private bool _peersHooked;

    /// <summary>
    /// The first screen of !status: what happened (created or opened), the URL alone on its row, how
    /// to invite, the network state and where help is. Call once the network has started.
    /// </summary>
    public void Welcome(CabalSession s, bool created, string? networkNote = null)
    {
        var status = ChannelRef.Status;
        s.AddNote(created ? "welcome! you created a new cabal. its URL:" : "you opened an existing cabal. its URL:", status);
        s.AddNote(new CabalUrl(s.Core.KeyHex).ToString(), status);
        s.AddNote("invite a friend: give them that URL (/share prints it again); they run: cabal URL", status);
        if (networkNote is not null) s.AddNote(networkNote, status);
        foreach (var segment in Host.GetNetworkState().Describe()) s.AddNote("network: " + segment, status);
        s.AddNote("peers appear here when they join; /peers lists them, /connect HOST:PORT dials one", status);
        s.AddNote("type /help for commands, /cabals for your other cabals, F2 for the nick list", status);
        // A new cabal has nothing to read yet: its first screen is this one.
        if (created && s == Session) SwitchTo(status);
    }

    private void HookPeers()
    {
        if (_peersHooked) return;
        _peersHooked = true;
        Host.PeerChanged += OnPeerChanged;
    }

    private void UnhookPeers()
    {
        if (_peersHooked) Host.PeerChanged -= OnPeerChanged;
        _peersHooked = false;
    }

    // From a network thread: the note is added on the UI thread.
    private void OnPeerChanged(PeerChangedEventArgs e) => Ui.Post(() =>
    {
        if (_sessions.Find(s => s.Core.KeyHex == e.CabalKey) is not { } s) return;
        s.AddNote(e.Connected
            ? $" joined from {e.Address} ({(e.Outbound ? "we dialled it: " + e.Source : "it dialled us")})"
            : $" left ({e.Address})", ChannelRef.Status, subject: e.PeerKey);
    });

    /// <summary>/peers: each connection's nick, address, direction, source and feeds synced; then the network state.</summary>
    private void Peers(CabalSession s)
    {
        var channel = s.Current;
        s.Command(() =>
        {
            var peers = Host.GetPeers(s.Core);
            var network = Host.GetNetworkState();
            Ui.Post(() =>
            {
                s.AddNote(peers.Count == 0 ? "no peers connected" : $"{peers.Count} connection{(peers.Count == 1 ? "" : "s")}:", channel);
                foreach (var p in peers.OrderBy(p => s.DisplayName(p.PeerKey), StringComparer.OrdinalIgnoreCase))
                    s.AddNote($"  {TerminalText.Sanitize(s.DisplayName(p.PeerKey))}  {p.Address}  {(p.Outbound ? "outbound via " + p.Source : "inbound")}  feeds {p.FeedsSynced}/{p.Feeds} synced", channel);
                s.AddNote("network: " + string.Join(" · ", network.Describe()), channel);
            });
            return Task.CompletedTask;
        });
    }

    private void Connect(CabalSession s, string arg)
    {
        var target = arg.Trim();
        if (target.Length == 0) { s.AddNote("usage: /connect HOST:PORT (e.g. /connect 127.0.0.1:13331)"); return; }
        var channel = s.Current;
        s.Command(() =>
        {
            var error = Host.Connect(s.Core, target);
            Ui.Post(() => s.AddNote(error is null ? $"dialling {target}; it appears in !status when it answers" : "cannot connect: " + error, channel));
            return Task.CompletedTask;
        });
    }

    /// <summary>/cabals: the data directory's cabals, the open ones marked, and how to switch.</summary>
    private void Cabals(CabalSession s)
    {
        var channel = s.Current;
        var open = _sessions.Select(o => o.Core.KeyHex).ToList();
        var current = s.Core.KeyHex;
        s.Command(() =>
        {
            var known = Host.KnownCabals();
            Ui.Post(() =>
            {
                var keys = known.Select(u => CabalUrl.TryParse(u, out var url) && url is not null ? url.KeyHex : null).OfType<string>().Union(open).ToList();
                s.AddNote($"{keys.Count} cabal{(keys.Count == 1 ? "" : "s")} here (> this one, * open):", channel);
                foreach (var k in keys)
                    s.AddNote($"{(k == current ? ">" : open.Contains(k) ? "*" : " ")} cabal://{k}", channel);
                s.AddNote("open one with /add URL; switch between open ones with Alt-Left / Alt-Right", channel);
            });
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The status line's segments, left to right: connection state in words, then sync and delivery.
    /// A new kind of state (the DHT's) is one more segment here.
    /// </summary>
    public List<string> StatusSegments()
    {
        if (Session is not { } s) return ["opening…"];
        var segments = new List<string>();
        var sync = s.Sync;
        var peers = sync?.Peers ?? 0;
        segments.Add(peers == 0 ? "offline: no peers" : $"{peers} peer{(peers == 1 ? "" : "s")}");
        if (s.Dht is { } dht) segments.Add(dht);
        if (sync is { Lockdown: true }) segments.Add("lockdown");
        if (sync is not null && peers > 0 && sync.FeedsSynced < sync.Feeds)
            segments.Add($"syncing {Number(sync.FeedsSynced)}/{Number(sync.Feeds)} feeds");
        if (s.IndexProgress is var (indexed, available)) segments.Add($"indexed {Number(indexed)}/{Number(available)}");
        if (s.LastSent is { } r) segments.Add("last message: " + r);
        if (Scroll > 0) segments.Add(s.LoadingOlder ? "loading older…" : s.ReachedStart ? "start of channel · more below" : "more below");
        return segments;
    }

    private static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
