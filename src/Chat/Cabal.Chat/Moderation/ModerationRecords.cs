namespace Cabal.Chat.Moderation;

/// <summary>
/// Moderation flags of one user in one group (<c>"@"</c> = cabal-wide, else a channel).
/// <see cref="Provenance"/> is "&lt;author&gt;@&lt;seq&gt;" of the entry that set them, or null for roles
/// granted by this peer's own bootstrap (itself, and the URL's ?admin= / ?mod= keys).
/// </summary>
public sealed record ModerationEntry(string Id, string Channel, IReadOnlyList<string> Flags, string? Provenance);

/// <summary>A flags/* entry as written (for listModerationBy / inspect).</summary>
public sealed record ModerationAction(string Author, ulong Seq, string Type, string TargetId, string Channel, IReadOnlyList<string> Flags, string? Reason, double? Timestamp);
