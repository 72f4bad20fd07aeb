using Cabal.Chat.Messages;

namespace Cabal.Cli.Client;

public enum ChannelKind { Status, Channel, Private }

/// <summary>An entry of the channel pane: the status channel, a channel, or a private conversation (Name = peer key).</summary>
public readonly record struct ChannelRef(ChannelKind Kind, string Name)
{
    public const string StatusName = "!status";
    public static ChannelRef Status { get; } = new(ChannelKind.Status, StatusName);
    public static ChannelRef Channel(string name) => new(ChannelKind.Channel, name);
    public static ChannelRef Private(string peerKey) => new(ChannelKind.Private, peerKey);
}

public enum LineKind { Text, Emote, Topic, Notice }

/// <summary>A message or local note as stored (raw, unsanitised remote text).</summary>
public sealed record ChatLine(MessagePosition Position, double Timestamp, string Author, ulong Seq, LineKind Kind, string Text)
{
    public static ChatLine From(ChatMessage m) => new(m.Position, m.Timestamp, m.Author, m.Seq, KindOf(m.Type), m.Text);

    public static ChatLine From(PrivateMessage m) => new(m.Position, m.Timestamp, m.Author, m.Seq, KindOf(m.Type), m.Text);

    /// <summary>A local note; with <paramref name="subject"/> (a user key) it reads "nick text", the nick as known when drawn.</summary>
    public static ChatLine Note(string text, string? subject = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return new ChatLine(new MessagePosition(now), now, subject ?? "", 0, LineKind.Notice, text);
    }

    private static LineKind KindOf(string type) => type switch
    {
        MessageTypes.Emote => LineKind.Emote,
        MessageTypes.Topic => LineKind.Topic,
        _ => LineKind.Text,
    };
}

/// <summary>A line ready to draw: every field already sanitised.</summary>
public sealed record DisplayLine(string Time, string Nick, string Text, LineKind Kind, bool Mention, string AuthorKey)
{
    /// <summary>The line as plain text: "time nick text", "time * nick text" or "time -status- text".</summary>
    public string Plain => Kind switch
    {
        LineKind.Emote => $"{Time} * {Nick} {Text}",
        LineKind.Topic => $"{Time} * {Nick} sets the topic to {Text}",
        LineKind.Notice => $"{Time} -status- {Text}",
        _ => $"{Time} <{Nick}> {Text}",
    };

    /// <summary>Columns before the text starts, for the hanging indent of wrapped rows.</summary>
    public int Indent => Kind switch
    {
        LineKind.Emote => Time.Length + 3 + LineWrapper.Columns(Nick) + 1,
        LineKind.Topic => Time.Length + 3,
        LineKind.Notice => Time.Length + 10,
        _ => Time.Length + 3 + LineWrapper.Columns(Nick) + 1,
    };
}

/// <summary>One row of the channel pane.</summary>
public sealed record ChannelEntry(ChannelRef Ref, string Label, bool Current, int Unread, bool Mention);

/// <summary>Delivery state of my last message.</summary>
public sealed record Receipt(ulong Seq, int Acks)
{
    public override string ToString() => Acks == 0 ? "pending" : $"stored by {Acks} peer{(Acks == 1 ? "" : "s")}";
}
