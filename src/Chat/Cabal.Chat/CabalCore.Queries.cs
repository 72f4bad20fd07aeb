// Queries over the views: one short read transaction each. They answer from what is indexed now
// (cabal-core waits for the view to be idle first; call WaitForIndexAsync for that).
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Chat.Moderation;
using Cabal.Chat.Views;
using LightningDB;

namespace Cabal.Chat;

public sealed partial class CabalCore
{
    /// <summary>Channels created by at least one chat/* message, sorted ordinally (a join alone does not create one, as in JS).</summary>
    public IReadOnlyList<string> GetChannels()
    {
        return Query(tx =>
        {
            var names = new List<string>();
            foreach (var (k, _) in tx.Prefix(_views.Channels, []))
                if (tx.Read(_views.ChannelNames, k) is { } n) names.Add(Encoding.UTF8.GetString(n));
            names.Sort(StringComparer.Ordinal);
            return names;
        });
    }

    /// <summary>
    /// Messages of <paramref name="channel"/> in (index timestamp, author, seq) order — newest first by
    /// default — between the query's bounds. Hidden users are left out unless asked for.
    /// </summary>
    public IReadOnlyList<ChatMessage> GetMessages(string channel, MessageQuery? query = null)
    {
        query ??= new MessageQuery();
        if (query.Limit <= 0) return [];
        var ck = ViewKeys.Channel(channel);
        return Query(tx =>
        {
            var hidden = new Dictionary<string, bool>(StringComparer.Ordinal);
            var result = new List<ChatMessage>(Math.Min(query.Limit, 1000));
            foreach (var (k, v) in Range(tx, _views.Messages, ck, query))
            {
                var (ts, author, seq) = ViewKeys.ReadPosition(k, ViewKeys.ChannelSize);
                var authorHex = Convert.ToHexStringLower(author);
                if (!query.IncludeHidden && IsHidden(tx, hidden, authorHex, author, channel)) continue;
                // Only entries that parsed were stored: one that no longer does was damaged on disk.
                if (EntryParser.Parse(v, Options.Limits) is not ChatEntry e) throw Unparsable("messages");
                result.Add(new ChatMessage(channel, authorHex, seq, e.Type, e.Text, e.Timestamp, ts));
                if (result.Count >= query.Limit) break;
            }
            return result;
        });
    }

    private static IEnumerable<(byte[] Key, byte[] Value)> Range(LightningTransaction tx, LightningDatabase db, byte[] prefix, MessageQuery q)
    {
        var low = q.After is { } a ? ViewKeys.Bound(prefix, a, pastTies: true) : null;
        var high = q.Before is { } b ? ViewKeys.Bound(prefix, b, pastTies: false) : null;
        return tx.Range(db, prefix, low, high, ascending: q.OldestFirst);
    }

    private bool IsHidden(LightningTransaction tx, Dictionary<string, bool> cache, string authorHex, byte[] author, string channel)
    {
        if (cache.TryGetValue(authorHex, out var h)) return h;
        var flags = _auth.Flags(tx, channel, author);
        h = flags.Contains(ModerationFlags.Hide) || (Options.HideBlockedUsers && flags.Contains(ModerationFlags.Block));
        cache[authorHex] = h;
        return h;
    }

    /// <summary>Whether moderation hides <paramref name="userKey"/> in <paramref name="channel"/> (or cabal-wide) for this user.</summary>
    public bool IsHidden(string userKey, string? channel = null)
    {
        var key = CabalKeys.ParseBytes(userKey, "user key");
        return Query(tx =>
        {
            return IsHidden(tx, [], Convert.ToHexStringLower(key), key, channel ?? MessageTypes.CabalWideGroup);
        });
    }

    /// <summary>The channel's topic, or null if none was ever set. Winner: greatest (index timestamp, author, seq).</summary>
    public string? GetTopic(string channel)
    {
        return Query(tx =>
        {
            var v = tx.Read(_views.Topics, ViewKeys.Channel(channel));
            return v is null ? null : Encoding.UTF8.GetString(v.AsSpan(ViewKeys.PositionSize));
        });
    }

    /// <summary>User keys whose latest channel/join|leave for <paramref name="channel"/> is a join.</summary>
    public IReadOnlyList<string> GetMembers(string channel)
    {
        return Query(tx =>
        {
            return tx.Prefix(_views.Members, ViewKeys.Channel(channel)).Select(r => Convert.ToHexStringLower(r.Key.AsSpan(ViewKeys.ChannelSize))).ToList();
        });
    }

    /// <summary>Channels <paramref name="userKey"/> is a member of, sorted ordinally.</summary>
    public IReadOnlyList<string> GetMemberships(string userKey)
    {
        var user = CabalKeys.ParseBytes(userKey, "user key");
        return Query(tx =>
        {
            var names = new List<string>();
            foreach (var (k, _) in tx.Prefix(_views.MemberOf, user))
                if (tx.Read(_views.ChannelNames, k.AsSpan(ViewKeys.UserSize)) is { } n) names.Add(Encoding.UTF8.GetString(n));
            names.Sort(StringComparer.Ordinal);
            return names;
        });
    }

    public bool IsMember(string userKey, string channel)
    {
        var user = CabalKeys.ParseBytes(userKey, "user key");
        return Query(tx =>
        {
            return tx.Has(_views.Members, ViewKeys.Concat(ViewKeys.Channel(channel), user));
        });
    }

    /// <summary>Every known user (an author of any well-formed entry) with their latest nick.</summary>
    public IReadOnlyList<UserInfo> GetUsers()
    {
        return Query(tx =>
        {
            return tx.Prefix(_views.Users, []).Select(r => ToUser(r.Key, r.Value)).ToList();
        });
    }

    public UserInfo? GetUser(string userKey)
    {
        var user = CabalKeys.ParseBytes(userKey, "user key");
        return Query(tx =>
        {
            return tx.Read(_views.Users, user) is { } v ? ToUser(user, v) : null;
        });
    }

    /// <summary>The raw content of the user's latest about message, or null.</summary>
    public JsonDocument? GetProfile(string userKey)
    {
        var user = CabalKeys.ParseBytes(userKey, "user key");
        return Query(tx =>
        {
            return tx.Read(_views.Users, user) is { Length: > 0 } v ? ParseAbout(v) : null;
        });
    }

    private static ViewsDamagedException Unparsable(string table) => new($"a record of table '{table}' no longer parses");

    // Only about entries whose content parsed were stored.
    private static JsonDocument ParseAbout(byte[] about)
    {
        try { return JsonDocument.Parse(about); }
        catch (JsonException) { throw Unparsable("users"); }
    }

    private static UserInfo ToUser(byte[] key, byte[] about)
    {
        string? name = null;
        if (about.Length > 0)
        {
            using var doc = ParseAbout(about);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                name = n.GetString();
        }
        return new UserInfo(Convert.ToHexStringLower(key), name);
    }

    // ---- moderation ----

    /// <summary>getFlags: the user's flags in the channel merged with the cabal-wide ones, sorted.</summary>
    public IReadOnlyList<string> GetFlags(string userKey, string? channel = null)
    {
        var user = CabalKeys.ParseBytes(userKey, "user key");
        return Query(tx =>
        {
            return _auth.Flags(tx, channel ?? MessageTypes.CabalWideGroup, user);
        });
    }

    /// <summary>listByFlag: members of exactly the group (no merging) holding <paramref name="flag"/> (any flag if null).</summary>
    public IReadOnlyList<ModerationEntry> ListByFlag(string? flag, string? channel = null)
    {
        var group = channel ?? MessageTypes.CabalWideGroup;
        return Query(tx =>
        {
            return _auth.Members(tx, group)
                .Where(m => flag is null || m.Entry.Flags.Contains(flag))
                .Select(m => new ModerationEntry(Convert.ToHexStringLower(m.User), group, m.Entry.Flags, m.Entry.Provenance))
                .ToList();
        });
    }

    public IReadOnlyList<ModerationEntry> ListHidden(string? channel = null) => ListByFlag(ModerationFlags.Hide, channel);
    public IReadOnlyList<ModerationEntry> ListBlocked(string? channel = null) => ListByFlag(ModerationFlags.Block, channel);
    public IReadOnlyList<ModerationEntry> ListMuted(string? channel = null) => ListByFlag(ModerationFlags.Mute, channel);
    public IReadOnlyList<ModerationEntry> ListAdmins(string? channel = null) => ListByFlag(ModerationFlags.Admin, channel);
    public IReadOnlyList<ModerationEntry> ListMods(string? channel = null) => ListByFlag(ModerationFlags.Mod, channel);

    /// <summary>list(): every (group, user) entry of the moderation state.</summary>
    public IReadOnlyList<ModerationEntry> ListModeration()
    {
        return Query(tx =>
        {
            return _auth.All(tx).Select(r => new ModerationEntry(
                Convert.ToHexStringLower(r.User),
                tx.Read(_views.ChannelNames, r.GroupKey) is { } n ? Encoding.UTF8.GetString(n) : "?",
                r.Entry.Flags, r.Entry.Provenance)).ToList();
        });
    }

    /// <summary>listModerationBy: the flags/* entries written by <paramref name="authorKey"/>, in seq order.</summary>
    public IReadOnlyList<ModerationAction> ListModerationBy(string authorKey)
    {
        var author = CabalKeys.ParseBytes(authorKey, "author key");
        List<ulong> seqs;
        seqs = Query(tx => tx.Prefix(_views.ModLog, author).Select(r => BinaryPrimitives.ReadUInt64BigEndian(r.Key.AsSpan(32))).ToList());
        var feed = _store.TryGet(author);
        var result = new List<ModerationAction>();
        if (feed is null) return result;
        foreach (var seq in seqs)
            if (feed.TryGet(seq, out var block) && ToAction(feed.KeyHex, seq, block) is { } action) result.Add(action);
        return result;
    }

    // ---- archives ----

    /// <summary>
    /// Archived channels from this user's point of view: the latest action of some cabal-wide admin
    /// or mod (this user included) is an archive, unless this user's own latest action is an unarchive.
    /// </summary>
    public IReadOnlyList<string> GetArchivedChannels()
    {
        return Query(tx =>
        {
            var authorised = _auth.Members(tx, MessageTypes.CabalWideGroup)
                .Where(m => m.Entry.Flags.Contains(ModerationFlags.Admin) || m.Entry.Flags.Contains(ModerationFlags.Mod))
                .Select(m => Convert.ToHexStringLower(m.User)).ToHashSet(StringComparer.Ordinal);
            var archived = new HashSet<string>(StringComparer.Ordinal);
            var unarchivedByMe = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (k, v) in tx.Prefix(_views.Archives, []))
            {
                var author = Convert.ToHexStringLower(k.AsSpan(ViewKeys.ChannelSize));
                if (tx.Read(_views.ChannelNames, k.AsSpan(0, ViewKeys.ChannelSize)) is not { } n) continue;
                var name = Encoding.UTF8.GetString(n);
                if (v[0] == 1 && authorised.Contains(author)) archived.Add(name);
                if (v[0] == 2 && author == LocalKey) unarchivedByMe.Add(name);
            }
            archived.ExceptWith(unarchivedByMe);
            return archived.Order(StringComparer.Ordinal).ToList();
        });
    }

    /// <summary>getUnarchived: channels whose latest archive action by <paramref name="userKey"/> is an unarchive.</summary>
    public IReadOnlyList<string> GetUnarchivedBy(string userKey)
    {
        var user = CabalKeys.ParseHex(userKey, "user key");
        return Query(tx =>
        {
            var result = new List<string>();
            foreach (var (k, v) in tx.Prefix(_views.Archives, []))
            {
                if (v[0] != 2 || Convert.ToHexStringLower(k.AsSpan(ViewKeys.ChannelSize)) != user) continue;
                if (tx.Read(_views.ChannelNames, k.AsSpan(0, ViewKeys.ChannelSize)) is { } n) result.Add(Encoding.UTF8.GetString(n));
            }
            result.Sort(StringComparer.Ordinal);
            return result;
        });
    }

    // ---- private messages ----

    /// <summary>Keys of everyone this user has exchanged private messages with.</summary>
    public IReadOnlyList<string> ListPrivateConversations()
    {
        return Query(tx =>
        {
            return tx.Prefix(_views.PrivatePeers, []).Select(r => Convert.ToHexStringLower(r.Key)).ToList();
        });
    }

    /// <summary>The conversation with <paramref name="peerKey"/>, newest first by default. Hidden peers are left out unless asked for.</summary>
    public IReadOnlyList<PrivateMessage> GetPrivateMessages(string peerKey, MessageQuery? query = null)
    {
        query ??= new MessageQuery();
        var peer = CabalKeys.ParseBytes(peerKey, "peer key");
        var peerHex = Convert.ToHexStringLower(peer);
        if (query.Limit <= 0) return [];
        return Query(tx =>
        {
            if (!query.IncludeHidden && IsHidden(tx, [], peerHex, peer, MessageTypes.CabalWideGroup)) return [];
            var result = new List<PrivateMessage>();
            foreach (var (k, v) in Range(tx, _views.Private, peer, query))
            {
                var (ts, author, seq) = ViewKeys.ReadPosition(k, ViewKeys.UserSize);
                if (EntryParser.ParsePrivatePlaintext(v, Options.Limits) is not { } e) throw Unparsable("pms");
                result.Add(new PrivateMessage(peerHex, Convert.ToHexStringLower(author), seq, e.Type, e.Text, e.Timestamp, ts));
                if (result.Count >= query.Limit) break;
            }
            return result;
        });
    }
}
