namespace Cabal.Chat.Messages;

internal enum FlagsOp : byte { Set, Add, Remove }

/// <summary>
/// What the views need from one log entry: one record per kind, each with exactly the fields its view
/// reads, all set. Built by <see cref="EntryParser"/>; pure data.
/// </summary>
/// <param name="Type">The entry's <c>type</c> ("" when it has none).</param>
/// <param name="Timestamp">The claimed timestamp (0 when it has none).</param>
internal abstract record ParsedEntry(string Type, double Timestamp)
{
    /// <summary>S0 held (object content, numeric timestamp, string type): the author is a known user, whatever the kind.</summary>
    public bool KnownUser { get; init; }
}

/// <summary>chat/* (text, emote, topic, or another chat type): a message in <see cref="Channel"/>.</summary>
internal sealed record ChatEntry(string Type, double Timestamp, string Channel, string Text) : ParsedEntry(Type, Timestamp);

/// <summary>about: the user's profile. <see cref="Json"/> is the content object, which replaces the previous one.</summary>
internal sealed record AboutEntry(double Timestamp, string? Name, string Json) : ParsedEntry(MessageTypes.About, Timestamp);

/// <summary>channel/join or channel/leave.</summary>
internal sealed record MembershipEntry(string Type, double Timestamp, string Channel) : ParsedEntry(Type, Timestamp)
{
    public bool Joined => Type == MessageTypes.Join;
}

/// <summary>channel/archive or channel/unarchive.</summary>
internal sealed record ArchiveEntry(string Type, double Timestamp, string Channel, string Reason) : ParsedEntry(Type, Timestamp)
{
    public bool Archived => Type == MessageTypes.Archive;
}

/// <summary>flags/set, flags/add or flags/remove on <see cref="TargetId"/> in <see cref="Group"/> ("@" = cabal-wide).</summary>
internal sealed record FlagsEntry(string Type, double Timestamp, FlagsOp Op, string TargetId, string Group, string[] Flags, string? Reason)
    : ParsedEntry(Type, Timestamp);

/// <summary>encrypted: a private-box for some recipients, base64.</summary>
internal sealed record EncryptedEntry(double Timestamp, string Ciphertext) : ParsedEntry(MessageTypes.Encrypted, Timestamp);

/// <summary>Well formed but of no interest to any view (an unknown type): kept in the log, not indexed.</summary>
internal sealed record IgnoredEntry(string Type, double Timestamp) : ParsedEntry(Type, Timestamp);

/// <summary>Malformed: skipped by every view, counted and logged.</summary>
internal sealed record SkippedEntry(string Type, double Timestamp, SkipReason Reason, string Detail) : ParsedEntry(Type, Timestamp)
{
    /// <summary>An entry that could not be read at all (not JSON, not an object, too big).</summary>
    public static SkippedEntry Unreadable(SkipReason reason, string detail) => new("", 0, reason, detail);
}
