// The bytes cabal-core 16 appends for each message type: JSON.stringify(message) as UTF-8, keys
// in the order the JS builds them — type, content, timestamp (publish appends timestamp last).
// Checked byte for byte against the cabal.appended vectors.
using System.Text;

namespace Cabal.Chat.Messages;

public static class MessageEncoder
{
    /// <summary>chat/text, chat/emote, chat/topic or any other chat/* type: {channel, text}.</summary>
    public static byte[] Chat(string type, string channel, string text, double timestamp)
    {
        RequireChatType(type);
        var sb = Start(type);
        sb.Append("{\"channel\":"); JsJson.String(sb, channel);
        sb.Append(",\"text\":"); JsJson.String(sb, text);
        return Finish(sb.Append('}'), timestamp);
    }

    /// <summary>about: {name} (publishNick).</summary>
    public static byte[] About(string name, double timestamp)
    {
        var sb = Start(MessageTypes.About);
        sb.Append("{\"name\":"); JsJson.String(sb, name);
        return Finish(sb.Append('}'), timestamp);
    }

    /// <summary>channel/join or channel/leave: {channel}.</summary>
    public static byte[] Membership(string type, string channel, double timestamp)
    {
        if (type is not (MessageTypes.Join or MessageTypes.Leave)) throw new ArgumentException($"Not a membership type: {type}", nameof(type));
        var sb = Start(type);
        sb.Append("{\"channel\":"); JsJson.String(sb, channel);
        return Finish(sb.Append('}'), timestamp);
    }

    /// <summary>channel/archive or channel/unarchive: {channel, reason}.</summary>
    public static byte[] Archive(string type, string channel, string reason, double timestamp)
    {
        if (type is not (MessageTypes.Archive or MessageTypes.Unarchive)) throw new ArgumentException($"Not an archive type: {type}", nameof(type));
        var sb = Start(type);
        sb.Append("{\"channel\":"); JsJson.String(sb, channel);
        sb.Append(",\"reason\":"); JsJson.String(sb, reason);
        return Finish(sb.Append('}'), timestamp);
    }

    /// <summary>
    /// flags/add|remove|set. cabal-core builds content as Object.assign({}, opts, {channel, flags}),
    /// so the key order follows the caller's object: with an explicit channel (setFlags({id, channel,
    /// flags})) it is id, channel, flags[, reason]; without one (addFlags({id, flags, reason})) the
    /// default "@" is appended last: id, flags[, reason], channel. Both shapes are in the vectors.
    /// </summary>
    public static byte[] Flags(string type, string targetId, IReadOnlyList<string> flags, string? channel, string? reason, double timestamp)
    {
        if (type is not (MessageTypes.FlagsAdd or MessageTypes.FlagsRemove or MessageTypes.FlagsSet)) throw new ArgumentException($"Not a flags type: {type}", nameof(type));
        var sb = Start(type);
        sb.Append("{\"id\":"); JsJson.String(sb, targetId);
        if (!string.IsNullOrEmpty(channel)) { sb.Append(",\"channel\":"); JsJson.String(sb, channel); }
        sb.Append(",\"flags\":"); JsJson.StringArray(sb, flags);
        if (reason is not null) { sb.Append(",\"reason\":"); JsJson.String(sb, reason); }
        if (string.IsNullOrEmpty(channel)) sb.Append(",\"channel\":\"@\"");
        return Finish(sb.Append('}'), timestamp);
    }

    /// <summary>{"type":"encrypted","content":"&lt;base64&gt;"} — no outer timestamp.</summary>
    public static byte[] Encrypted(ReadOnlySpan<byte> box)
    {
        var sb = new StringBuilder("{\"type\":\"encrypted\",\"content\":\"", 64 + box.Length * 4 / 3);
        sb.Append(Convert.ToBase64String(box)).Append("\"}");
        return JsJson.Utf8(sb);
    }

    /// <summary>
    /// The plaintext publishPrivate encrypts: Object.assign({timestamp}, message) with
    /// message = {type, content: {text, channel: recipient}, timestamp, private: true} — so timestamp
    /// first, then type, content, private (cabal-client's /pm builds content as {text, channel}).
    /// </summary>
    public static byte[] PrivatePlaintext(string type, string recipientHex, string text, double timestamp)
    {
        RequireChatType(type);
        var sb = new StringBuilder(96 + text.Length);
        sb.Append("{\"timestamp\":").Append(JsJson.Number(timestamp));
        sb.Append(",\"type\":"); JsJson.String(sb, type);
        sb.Append(",\"content\":{\"text\":"); JsJson.String(sb, text);
        sb.Append(",\"channel\":"); JsJson.String(sb, recipientHex);
        sb.Append("},\"private\":true}");
        return JsJson.Utf8(sb);
    }

    private static void RequireChatType(string type)
    {
        if (type is null || !type.StartsWith(MessageTypes.ChatPrefix, StringComparison.Ordinal) || type.Length == MessageTypes.ChatPrefix.Length)
            throw new ArgumentException($"A chat message type starts with 'chat/', got '{type}'.", nameof(type));
    }

    private static StringBuilder Start(string type)
    {
        var sb = new StringBuilder(128);
        sb.Append("{\"type\":"); JsJson.String(sb, type);
        return sb.Append(",\"content\":");
    }

    private static byte[] Finish(StringBuilder sb, double timestamp)
        => JsJson.Utf8(sb.Append(",\"timestamp\":").Append(JsJson.Number(timestamp)).Append('}'));
}
