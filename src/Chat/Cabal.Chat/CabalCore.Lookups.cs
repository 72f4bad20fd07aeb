// Read-only lookups for the terminal client's inspection commands (/read, /search, the reasons shown
// by /hides and friends): single entries by "<feed>@<seq>" and a bounded substring scan of a channel.
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Chat.Moderation;

namespace Cabal.Chat;

public sealed partial class CabalCore
{
    /// <summary>
    /// getMessage("&lt;feedhex&gt;@&lt;seq&gt;"): the raw block of that log entry, or null when the feed is
    /// unknown here or the block is not held locally. Throws <see cref="FormatException"/> for a malformed reference.
    /// </summary>
    public byte[]? ReadEntry(string reference)
    {
        var (feedKey, seq) = ParseEntryReference(reference);
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        return _store.TryGet(feedKey) is { } feed && feed.TryGet(seq, out var block) ? block : null;
    }

    /// <summary>Splits "&lt;64 hex&gt;@&lt;seq&gt;"; throws <see cref="FormatException"/> otherwise.</summary>
    public static (byte[] Feed, ulong Seq) ParseEntryReference(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        if (at != 64 || !CabalKeys.IsHexKey(reference.AsSpan(0, 64)) || !ulong.TryParse(reference.AsSpan(65), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seq))
            throw new FormatException($"Not a KEY@SEQ reference: {reference}");
        return (Convert.FromHexString(reference.AsSpan(0, 64)), seq);
    }

    /// <summary>The flags/* entry at <paramref name="reference"/> (a moderation row's provenance), or null if absent or not a flags entry.</summary>
    public ModerationAction? GetModerationAction(string reference)
    {
        var (feedKey, seq) = ParseEntryReference(reference);
        return ReadEntry(reference) is { } block ? ToAction(Convert.ToHexStringLower(feedKey), seq, block) : null;
    }

    private ModerationAction? ToAction(string authorHex, ulong seq, byte[] block)
    {
        return EntryParser.Parse(block, Options.Limits) is FlagsEntry e
            ? new ModerationAction(authorHex, seq, e.Type, e.TargetId, e.Group, e.Flags, e.Reason, e.Timestamp == 0 ? null : e.Timestamp)
            : null;
    }

    /// <summary>
    /// Messages of <paramref name="channel"/> whose text contains <paramref name="term"/> (ordinal,
    /// case-sensitive, as cabal-client's byte match), newest first. Looks at the newest
    /// <paramref name="maxScanned"/> messages only, so a search of a huge channel stays bounded; hidden
    /// users are left out. Returns how many messages were looked at, to tell the user when it stopped early.
    /// </summary>
    public (IReadOnlyList<ChatMessage> Matches, int Scanned) SearchMessages(string channel, string term, int maxScanned = 10_000, int maxMatches = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(term);
        var matches = new List<ChatMessage>();
        var scanned = 0;
        MessagePosition? before = null;
        // Pages of one read transaction each, so a long scan never pins one LMDB snapshot for long.
        while (scanned < maxScanned && matches.Count < maxMatches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var limit = Math.Min(1000, maxScanned - scanned);
            var page = GetMessages(channel, new MessageQuery { Limit = limit, Before = before });
            foreach (var m in page)
            {
                scanned++;
                if (m.Text.Contains(term, StringComparison.Ordinal)) matches.Add(m);
                if (matches.Count >= maxMatches) break;
            }
            // A short page is the start of the channel (hidden users' messages do not count toward it).
            if (page.Count < limit) break;
            before = page[^1].Position;
        }
        return (matches, scanned);
    }
}
