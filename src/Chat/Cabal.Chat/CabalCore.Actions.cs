// Publishing. Every action appends one JSON block to the local feed, exactly as cabal-core would
// write it, and returns its seq once it is durable; the indexer picks it up from the append event.
// Unlike cabal-core's publish (which validates nothing) we refuse to write what JS peers would
// choke on or ignore: empty channels, null content, non-object values.
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Chat.Moderation;
using Cabal.Net.Crypto;

namespace Cabal.Chat;

public sealed partial class CabalCore
{
    public Task<ulong> PublishTextAsync(string channel, string text, CancellationToken cancellationToken = default)
        => PublishChatAsync(MessageTypes.Text, channel, text, cancellationToken);

    public Task<ulong> PublishEmoteAsync(string channel, string text, CancellationToken cancellationToken = default)
        => PublishChatAsync(MessageTypes.Emote, channel, text, cancellationToken);

    /// <summary>Any chat/* type (chat/text, chat/emote, chat/topic or a custom one).</summary>
    public Task<ulong> PublishChatAsync(string type, string channel, string text, CancellationToken cancellationToken = default)
    {
        RequireChannel(channel);
        ArgumentNullException.ThrowIfNull(text);
        return AppendAsync(MessageEncoder.Chat(type, channel, text, _timestamps.Next()), cancellationToken);
    }

    /// <summary>publishChannelTopic: a chat/topic message (refuses an empty topic, as JS does nothing then).</summary>
    public Task<ulong> SetTopicAsync(string channel, string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return PublishChatAsync(MessageTypes.Topic, channel, topic, cancellationToken);
    }

    /// <summary>publishNick: an about message {name}.</summary>
    public Task<ulong> SetNickAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return AppendAsync(MessageEncoder.About(name, _timestamps.Next()), cancellationToken);
    }

    public Task<ulong> JoinAsync(string channel, CancellationToken cancellationToken = default)
    {
        RequireChannel(channel);
        return AppendAsync(MessageEncoder.Membership(MessageTypes.Join, channel, _timestamps.Next()), cancellationToken);
    }

    public Task<ulong> LeaveAsync(string channel, CancellationToken cancellationToken = default)
    {
        RequireChannel(channel);
        return AppendAsync(MessageEncoder.Membership(MessageTypes.Leave, channel, _timestamps.Next()), cancellationToken);
    }

    public Task<ulong> ArchiveAsync(string channel, string reason = "", CancellationToken cancellationToken = default)
    {
        RequireChannel(channel);
        return AppendAsync(MessageEncoder.Archive(MessageTypes.Archive, channel, reason ?? "", _timestamps.Next()), cancellationToken);
    }

    public Task<ulong> UnarchiveAsync(string channel, string reason = "", CancellationToken cancellationToken = default)
    {
        RequireChannel(channel);
        return AppendAsync(MessageEncoder.Archive(MessageTypes.Unarchive, channel, reason ?? "", _timestamps.Next()), cancellationToken);
    }

    /// <summary>flags/add. <paramref name="channel"/> null = cabal-wide ("@").</summary>
    public Task<ulong> AddFlagsAsync(string userKey, IReadOnlyList<string> flags, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => PublishFlagsAsync(MessageTypes.FlagsAdd, userKey, flags, channel, reason, cancellationToken);

    /// <summary>flags/remove. <paramref name="channel"/> null = cabal-wide ("@").</summary>
    public Task<ulong> RemoveFlagsAsync(string userKey, IReadOnlyList<string> flags, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => PublishFlagsAsync(MessageTypes.FlagsRemove, userKey, flags, channel, reason, cancellationToken);

    /// <summary>flags/set: replaces the user's flags in the group. <paramref name="channel"/> null = cabal-wide ("@").</summary>
    public Task<ulong> SetFlagsAsync(string userKey, IReadOnlyList<string> flags, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => PublishFlagsAsync(MessageTypes.FlagsSet, userKey, flags, channel, reason, cancellationToken);

    public Task<ulong> HideAsync(string userKey, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => AddFlagsAsync(userKey, [ModerationFlags.Hide], channel, reason, cancellationToken);
    public Task<ulong> UnhideAsync(string userKey, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => RemoveFlagsAsync(userKey, [ModerationFlags.Hide], channel, reason, cancellationToken);
    public Task<ulong> BlockAsync(string userKey, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => AddFlagsAsync(userKey, [ModerationFlags.Block], channel, reason, cancellationToken);
    public Task<ulong> UnblockAsync(string userKey, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => RemoveFlagsAsync(userKey, [ModerationFlags.Block], channel, reason, cancellationToken);
    public Task<ulong> AddModAsync(string userKey, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => AddFlagsAsync(userKey, [ModerationFlags.Mod], channel, reason, cancellationToken);
    public Task<ulong> RemoveModAsync(string userKey, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => RemoveFlagsAsync(userKey, [ModerationFlags.Mod], channel, reason, cancellationToken);
    public Task<ulong> AddAdminAsync(string userKey, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => AddFlagsAsync(userKey, [ModerationFlags.Admin], channel, reason, cancellationToken);
    public Task<ulong> RemoveAdminAsync(string userKey, string? channel = null, string? reason = null, CancellationToken cancellationToken = default)
        => RemoveFlagsAsync(userKey, [ModerationFlags.Admin], channel, reason, cancellationToken);

    private Task<ulong> PublishFlagsAsync(string type, string userKey, IReadOnlyList<string> flags, string? channel, string? reason, CancellationToken ct)
    {
        var id = CabalKeys.ParseHex(userKey, "user key");
        ArgumentNullException.ThrowIfNull(flags);
        if (flags.Any(string.IsNullOrEmpty)) throw new ArgumentException("Flags are non-empty strings.", nameof(flags));
        if (channel is not null) RequireChannel(channel);
        return AppendAsync(MessageEncoder.Flags(type, id, flags, channel, reason, _timestamps.Next()), ct);
    }

    /// <summary>
    /// publishPrivate: encrypts {timestamp, type, content: {text, channel: recipient}, private: true}
    /// with private-box to the recipient and to ourselves, and appends {"type":"encrypted","content":base64}.
    /// </summary>
    public Task<ulong> PublishPrivateAsync(string recipientKey, string text, bool emote = false, CancellationToken cancellationToken = default)
    {
        var recipient = CabalKeys.ParseHex(recipientKey, "recipient key");
        ArgumentNullException.ThrowIfNull(text);
        var plaintext = MessageEncoder.PrivatePlaintext(emote ? MessageTypes.Emote : MessageTypes.Text, recipient, text, _timestamps.Next());
        var box = PrivateBox.EncryptToEd25519(plaintext, [Convert.FromHexString(recipient), LocalFeed.Key]);
        return AppendAsync(MessageEncoder.Encrypted(box), cancellationToken);
    }

    /// <summary>
    /// Appends a message built elsewhere (JSON.stringify output). Refused unless it is a JSON object
    /// whose content is not null — the entries that stall JS peers are never written.
    /// </summary>
    public Task<ulong> PublishRawAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken = default)
    {
        if (EntryParser.Parse(json, Options.Limits) is SkippedEntry { Reason: SkipReason.InvalidJson or SkipReason.NotAnObject or SkipReason.NullContent or SkipReason.Oversized } refused)
            throw new ArgumentException($"Refusing to publish: {refused.Reason} ({refused.Detail}).", nameof(json));
        return AppendAsync(json, cancellationToken);
    }

    private Task<ulong> AppendAsync(ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        return LocalFeed.AppendAsync(block, ct);
    }

    private static void RequireChannel(string channel)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
    }
}
