// The messages the views hand out: channel and private messages, their order, and how to page them.
namespace Cabal.Chat.Messages;

/// <summary>
/// A channel message as indexed. <see cref="Timestamp"/> is what the author claimed (display);
/// <see cref="IndexTimestamp"/> is where it sorts — equal unless the claim was in the future, in
/// which case it was indexed at arrival time (cabal-core's rule). Ties sort by author key then seq.
/// </summary>
public sealed record ChatMessage(string Channel, string Author, ulong Seq, string Type, string Text, double Timestamp, double IndexTimestamp)
{
    public bool IsEmote => Type == MessageTypes.Emote;
    public bool IsTopic => Type == MessageTypes.Topic;
    public MessagePosition Position => new(IndexTimestamp, Author, Seq);
}

/// <summary>A decrypted private message; <see cref="Peer"/> is the other party of the conversation.</summary>
public sealed record PrivateMessage(string Peer, string Author, ulong Seq, string Type, string Text, double Timestamp, double IndexTimestamp)
{
    public bool IsEmote => Type == MessageTypes.Emote;
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
