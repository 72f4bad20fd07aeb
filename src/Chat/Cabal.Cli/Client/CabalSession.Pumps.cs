using Cabal.Chat.Events;
using Cabal.Chat.Messages;
using Cabal.Chat.Moderation;
using Cabal.Chat.Node;

namespace Cabal.Cli.Client;

public sealed partial class CabalSession
{
    /// <summary>Longest pause between two batches of events handed to the UI.</summary>
    public static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(50);

    // Background: reads CabalCore events, does the storage queries they call for, and hands the UI
    // one batch at most every 50 ms. A burst of thousands of messages (initial sync) becomes a few
    // batches instead of thousands of UI callbacks.
    private async Task EventPumpAsync(CancellationToken ct)
    {
        var reader = _subscription.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                var batch = new List<CabalEvent>();
                while (batch.Count < 5000 && reader.TryRead(out var e)) batch.Add(e);
                var derived = Derive(batch);
                _ui.Post(() => Apply(batch, derived));
                await Task.Delay(BatchInterval, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    /// <summary>What a batch changed that needs a query: the joined channels, members, hidden authors, archivers who count.</summary>
    private sealed record Derived((List<string>, HashSet<string>)? Joined, IReadOnlyList<string>? Members, HashSet<string> Hidden, HashSet<string> Archivers);

    private Derived Derive(List<CabalEvent> batch)
    {
        var me = Core.LocalKey;
        var current = _currentName;
        var joinedChanged = batch.Any(e => e is MembershipChanged m && m.User == me || e is ArchiveChanged || e is ModerationChanged);
        var membersChanged = batch.Any(e => e is MembershipChanged m && m.Channel == current);
        var hidden = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in batch.OfType<MessageReceived>().Select(e => e.Message).DistinctBy(m => (m.Author, m.Channel)))
            if (Core.IsHidden(m.Author, m.Channel)) hidden.Add(m.Author + "/" + m.Channel);
        // cabal-cli announces an archive or unarchive only by me or by a cabal-wide admin or mod (in my
        // view); anyone else's is ignored by the archives view, so a notice would be misleading.
        var archivers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var author in batch.OfType<ArchiveChanged>().Select(a => a.Author).Distinct())
            if (author == me || Core.GetFlags(author).Any(f => f is ModerationFlags.Admin or ModerationFlags.Mod)) archivers.Add(author);
        return new Derived(joinedChanged ? QueryJoined() : null, membersChanged ? Core.GetMembers(current) : null, hidden, archivers);
    }

    // UI thread: folds a batch of events into the state.
    private void Apply(List<CabalEvent> batch, Derived derived)
    {
        if (derived.Joined is var (joined, archived)) SetJoined(joined, archived);
        if (derived.Members is { } members && Current.Kind == ChannelKind.Channel && Current.Name == _currentName) Members = members;
        var fresh = new List<ChatLine>();
        foreach (var e in batch)
        {
            switch (e)
            {
                case MessageReceived { Message: var m }:
                    if (derived.Hidden.Contains(m.Author + "/" + m.Channel)) break;
                    Arrived(ChannelRef.Channel(m.Channel), ChatLine.From(m), fresh);
                    break;
                case PrivateMessageReceived { Message: var p }:
                    if (!PrivatePeers.Contains(p.Peer)) PrivatePeers.Add(p.Peer);
                    Arrived(ChannelRef.Private(p.Peer), ChatLine.From(p), fresh);
                    if (Current != ChannelRef.Private(p.Peer) && p.Author != Core.LocalKey)
                        AddNote($"PM [{TerminalText.Sanitize(DisplayName(p.Author))}]: {TerminalText.Sanitize(p.Text)}", ChannelRef.Status);
                    break;
                case TopicChanged t when Current == ChannelRef.Channel(t.Channel):
                    Topic = t.Topic;
                    break;
                case UserUpdated u:
                    Names[u.Key] = u.Name;
                    break;
                case ArchiveChanged a when derived.Archivers.Contains(a.Author):
                    AddNote($"{TerminalText.Sanitize(DisplayName(a.Author))} {(a.Archived ? "archived" : "unarchived")} #{TerminalText.Sanitize(a.Channel)}", ChannelRef.Status);
                    break;
                case ModerationChanged { Applied: true } mc:
                    AddNote($"{TerminalText.Sanitize(DisplayName(mc.By))} set flags [{TerminalText.Sanitize(string.Join(",", mc.Entry.Flags))}] on {TerminalText.Sanitize(DisplayName(mc.Entry.Id))} in {TerminalText.Sanitize(mc.Entry.Channel)}", ChannelRef.Status);
                    break;
                case SyncProgress s:
                    IndexProgress = (s.Indexed, s.Available);
                    break;
                case PeerChanged pc:
                    if (pc.Connected) Online.Add(pc.User); else Online.Remove(pc.User);
                    break;
            }
        }
        Merge(fresh);
        if (batch.Exists(static e => e is ModerationChanged { Applied: true })) RefreshWindow();
        Changed();
    }

    // A hide, unhide, block or role change can change which of the loaded messages may show, so the
    // loaded window is queried again off the UI thread (as many lines as it holds) and replaces what
    // is on screen. Lines that arrived after that query are kept.
    private void RefreshWindow()
    {
        if (Current.Kind != ChannelKind.Channel || Loading) return;
        var (channel, generation, count) = (Current, _generation, Math.Max(PageSize, Lines.Count));
        _ = Background(() =>
        {
            var page = QueryPage(channel, null, count);
            _ui.Post(() =>
            {
                if (generation != _generation) return;
                var newest = page.Count > 0 ? page[^1].Position : (MessagePosition?)null;
                var later = newest is { } n ? Lines.Where(l => Compare(l.Position, n) > 0).ToList() : [];
                Lines.Clear();
                _loaded.Clear();
                Merge(page);
                Merge(later);
                ReachedStart = page.Count < count;
                Changed();
            });
            return Task.CompletedTask;
        });
    }

    private void Arrived(ChannelRef channel, ChatLine line, List<ChatLine> fresh)
    {
        // Only lines newer than the loaded window's start belong on screen; older ones come with PageUp.
        if (channel == Current && !Loading && (Lines.Count == 0 || ReachedStart || Compare(line.Position, Lines[0].Position) > 0)) fresh.Add(line);
        if (Focused && channel == Current || line.Author == Core.LocalKey) return;
        Unread[channel] = Unread.GetValueOrDefault(channel) + 1;
        if (channel.Kind == ChannelKind.Private || MentionsMe(line.Text)) Mentions.Add(channel);
    }

    /// <summary>Whether the text names me (my nick, case-insensitively), as cabal-cli highlights.</summary>
    public bool MentionsMe(string text)
    {
        var nick = MyName;
        return nick.Length > 0 && text.Contains(nick, StringComparison.OrdinalIgnoreCase);
    }

    // Background: peers, replication progress and the receipt of my last message. Wakes on network
    // events (acks, peers) and at least once a second; posts only when something changed.
    private async Task StatusPumpAsync(CancellationToken ct)
    {
        SyncStatus? lastSync = null;
        string? lastDht = null;
        var lastAcks = (-1L, -1);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var sync = _host.GetSyncStatus(Core);
                var seq = Interlocked.Read(ref _lastSentSeq);
                var acks = seq >= 0 ? _host.AckCount(Core, (ulong)seq) : 0;
                var dht = _host.DhtSummary();
                if (sync != lastSync || (seq, acks) != lastAcks || dht != lastDht)
                {
                    (lastSync, lastAcks, lastDht) = (sync, (seq, acks), dht);
                    _ui.Post(() =>
                    {
                        Sync = sync;
                        Dht = dht;
                        if (LastSent is { } r && (long)r.Seq == seq) LastSent = r with { Acks = acks };
                        Changed();
                    });
                }
                await _statusWake.WaitAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }
}
