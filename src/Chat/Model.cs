namespace Cabal.Chat;

/// <summary>
/// A channel message as indexed. <see cref="Timestamp"/> is what the author claimed (display);
/// <see cref="IndexTimestamp"/> is where it sorts — equal unless the claim was in the future, in
/// which case it was indexed at arrival time (cabal-core's rule). Ties sort by author key then seq.
/// </summary>
public sealed record ChatMessage(string Channel, string Author, ulong Seq, string Type, string Text, double Timestamp, double IndexTimestamp)
{
    public bool IsEmote => Type == Messages.MessageTypes.Emote;
    public bool IsTopic => Type == Messages.MessageTypes.Topic;
    public MessagePosition Position => new(IndexTimestamp, Author, Seq);
}

/// <summary>A decrypted private message; <see cref="Peer"/> is the other party of the conversation.</summary>
public sealed record PrivateMessage(string Peer, string Author, ulong Seq, string Type, string Text, double Timestamp, double IndexTimestamp)
{
    public bool IsEmote => Type == Messages.MessageTypes.Emote;
    public MessagePosition Position => new(IndexTimestamp, Author, Seq);
}

/// <summary>
/// A point in a channel's order. With <see cref="Author"/> null it stands for the timestamp alone
/// (every message at that timestamp lies on the same side); with author and seq it is one exact
/// message, so paging from a message's <see cref="ChatMessage.Position"/> never skips ties.
/// </summary>
public readonly record struct MessagePosition(double Timestamp, string? Author = null, ulong Seq = 0);

/// <summary>Paging for channel and private message reads.</summary>
public sealed record MessageQuery
{
    /// <summary>Only messages strictly before this position. Default: none.</summary>
    public MessagePosition? Before { get; init; }

    /// <summary>Only messages strictly after this position. Default: none.</summary>
    public MessagePosition? After { get; init; }

    /// <summary>Most messages returned. Default 50.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Order of the result: newest first (default, as cabal-core) or oldest first.</summary>
    public bool OldestFirst { get; init; }

    /// <summary>Include messages of users hidden (or blocked) by moderation. Default false.</summary>
    public bool IncludeHidden { get; init; }

    /// <summary>The latest <paramref name="limit"/> messages.</summary>
    public static MessageQuery Latest(int limit = 50) => new() { Limit = limit };
}

/// <summary>A user known from any well-formed entry; <see cref="Name"/> from their latest about.</summary>
public sealed record UserInfo(string Key, string? Name)
{
    /// <summary>The name, or the first 8 hex characters of the key (cabal-client's rule).</summary>
    public string DisplayName => string.IsNullOrEmpty(Name) ? Key[..8] : Name;
}

/// <summary>
/// Moderation flags of one user in one group (<c>"@"</c> = cabal-wide, else a channel).
/// <see cref="Provenance"/> is "&lt;author&gt;@&lt;seq&gt;" of the entry that set them, or null for roles
/// granted by this peer's own bootstrap (itself, and the URL's ?admin= / ?mod= keys).
/// </summary>
public sealed record ModerationEntry(string Id, string Channel, IReadOnlyList<string> Flags, string? Provenance);

/// <summary>A flags/* entry as written (for listModerationBy / inspect).</summary>
public sealed record ModerationAction(string Author, ulong Seq, string Type, string TargetId, string Channel, IReadOnlyList<string> Flags, string? Reason, double? Timestamp);

/// <summary>Counts of the indexer (since this core was opened, except where noted).</summary>
public sealed record IndexStatistics(long EntriesIndexed, long Malformed, long MalformedTotal, long Commits, long Pending, int Feeds);
