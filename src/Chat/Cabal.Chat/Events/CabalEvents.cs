using Cabal.Chat.Messages;
using Cabal.Chat.Moderation;

namespace Cabal.Chat.Events;

/// <summary>Something that happened in a cabal. Delivered through <c>CabalCore.Subscribe</c>.</summary>
public abstract record CabalEvent;

/// <summary>A channel message was indexed (live or catching up). Within a commit, in timestamp order.</summary>
public sealed record MessageReceived(ChatMessage Message) : CabalEvent;

public sealed record PrivateMessageReceived(PrivateMessage Message) : CabalEvent;

/// <summary>A channel appeared (first well-formed chat/* entry naming it).</summary>
public sealed record ChannelAdded(string Channel) : CabalEvent;

/// <summary>The winning topic of a channel changed (see <c>CabalCore.GetTopic</c>).</summary>
public sealed record TopicChanged(string Channel, string Topic, string Author) : CabalEvent;

public sealed record UserUpdated(string Key, string? Name) : CabalEvent;

public sealed record MembershipChanged(string Channel, string User, bool Joined) : CabalEvent;

public sealed record ArchiveChanged(string Channel, string Author, bool Archived, string Reason) : CabalEvent;

/// <summary>A moderation entry was applied (<see cref="Applied"/>) or refused for lack of authority.</summary>
public sealed record ModerationChanged(ModerationEntry Entry, string By, bool Applied) : CabalEvent;

/// <summary>An entry was skipped as malformed.</summary>
public sealed record MalformedEntry(string Feed, ulong Seq, SkipReason Reason, string Detail) : CabalEvent;

/// <summary>Indexing progress after a commit: <see cref="Indexed"/> of <see cref="Available"/> locally held entries.</summary>
public sealed record SyncProgress(long Indexed, long Available) : CabalEvent
{
    public bool CaughtUp => Indexed >= Available;
}

/// <summary>A peer announced its user key (networking calls <c>CabalCore.ReportPeer</c>).</summary>
public sealed record PeerChanged(string User, bool Connected) : CabalEvent;
