namespace Cabal.Chat.Messages;

internal enum EntryKind : byte
{
    /// <summary>Valid but of no interest to any view (unknown type, or skipped).</summary>
    None,
    Chat,
    About,
    Join,
    Leave,
    Archive,
    Unarchive,
    Flags,
    Encrypted,
}

internal enum FlagsOp : byte { Set, Add, Remove }

/// <summary>What the views need from one log entry. Built by <see cref="EntryParser"/>; pure data.</summary>
internal sealed class ParsedEntry
{
    public EntryKind Kind;
    public SkipReason Skip;
    public string? Detail;

    /// <summary>S0 held (object content, numeric timestamp, string type): the author is a known user.</summary>
    public bool KnownUser;
    public string Type = "";
    public double Timestamp;
    public string? Channel;
    public string? Text;
    public string? Reason;

    // about
    public string? Name;
    public string? AboutJson;

    // flags/*
    public FlagsOp Op;
    public string? TargetId;
    public string[] Flags = [];
    public string Group = MessageTypes.CabalWideGroup;

    // encrypted
    public string? Ciphertext;

    public static ParsedEntry Skipped(SkipReason reason, string detail) => new() { Skip = reason, Detail = detail };
}
