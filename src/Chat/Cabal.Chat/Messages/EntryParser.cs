// Reads one hypercore block the way cabal-core 16's views do (spec §4.2, §4.4): JSON.parse of the
// UTF-8 text, then each view's shape check. Pure: bytes in, ParsedEntry out, nothing thrown.
//
// Differences from JS, all deliberate: null values and null content are skipped instead of
// crashing the indexer; entries over ChatLimits are skipped; a known type with wrong field types
// is reported as malformed (JS silently ignores it) so it can be counted and logged.
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Cabal.Chat.Messages;

internal static class EntryParser
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 256 };

    public static ParsedEntry Parse(ReadOnlyMemory<byte> block, ChatLimits limits)
    {
        if (block.Length > limits.MaxBlockBytes) return ParsedEntry.Skipped(SkipReason.Oversized, $"block of {block.Length} bytes");
        var span = block.Span;
        // JS decodes with Buffer#toString (invalid UTF-8 becomes U+FFFD, a BOM stays and breaks JSON.parse).
        if (span.StartsWith("\uFEFF"u8)) return ParsedEntry.Skipped(SkipReason.InvalidJson, "starts with a byte order mark");
        if (!Utf8.IsValid(span)) block = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(span));

        JsonDocument doc;
        try { doc = JsonDocument.Parse(block, Options); }
        catch (JsonException e) { return ParsedEntry.Skipped(SkipReason.InvalidJson, e.Message); }
        using (doc)
        {
            try { return FromValue(doc.RootElement, limits); }
            catch (InvalidOperationException e) { return ParsedEntry.Skipped(SkipReason.WrongTypes, e.Message); } // e.g. unpaired surrogate in a string
        }
    }

    private static ParsedEntry FromValue(JsonElement value, ChatLimits limits)
    {
        if (value.ValueKind != JsonValueKind.Object) return ParsedEntry.Skipped(SkipReason.NotAnObject, $"value is {value.ValueKind}");
        var hasContent = value.TryGetProperty("content", out var content);
        if (hasContent && content.ValueKind == JsonValueKind.Null) return ParsedEntry.Skipped(SkipReason.NullContent, "content is null");

        var type = value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : null;
        var hasTimestamp = value.TryGetProperty("timestamp", out var ts) && ts.ValueKind == JsonValueKind.Number && ts.TryGetDouble(out _);
        // JS typeof [] === 'object', so an array content passes S0 (the author becomes a known user).
        var contentIsObject = hasContent && content.ValueKind == JsonValueKind.Object;
        var e = new ParsedEntry
        {
            Type = type ?? "",
            Timestamp = hasTimestamp ? ts.GetDouble() : 0,
            KnownUser = type is not null && hasTimestamp && hasContent && content.ValueKind is JsonValueKind.Object or JsonValueKind.Array,
        };
        if (type is null) return Malformed(e, SkipReason.WrongTypes, "type is not a string");

        if (type == MessageTypes.Encrypted)
        {
            if (!hasContent || content.ValueKind != JsonValueKind.String) return Malformed(e, SkipReason.WrongTypes, "encrypted content is not a string");
            e.Kind = EntryKind.Encrypted;
            e.Ciphertext = content.GetString();
            return e;
        }
        if (type.StartsWith("flags/", StringComparison.Ordinal)) return ParseFlags(e, type, hasContent ? content : default, limits);

        var known = type.StartsWith(MessageTypes.ChatPrefix, StringComparison.Ordinal) || type is MessageTypes.About
            or MessageTypes.Join or MessageTypes.Leave or MessageTypes.Archive or MessageTypes.Unarchive;
        if (!known) return e; // unknown type: kept in the log, ignored by the views
        if (!contentIsObject) return Malformed(e, SkipReason.WrongTypes, $"{type} content is not an object");
        if (!hasTimestamp) return Malformed(e, SkipReason.WrongTypes, $"{type} timestamp is not a number");

        if (type == MessageTypes.About)
        {
            // Full replacement by the content object (users view); a non-string name means "no name".
            if (content.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            {
                e.Name = n.GetString();
                if (e.Name!.Length > limits.MaxNameLength) return Malformed(e, SkipReason.Oversized, $"name of {e.Name.Length} chars");
            }
            e.Kind = EntryKind.About;
            e.AboutJson = content.GetRawText();
            return e;
        }

        if (!TryString(content, "channel", out var channel)) return Malformed(e, SkipReason.WrongTypes, $"{type} content.channel is not a string");
        if (channel.Length == 0) return Malformed(e, SkipReason.WrongTypes, $"{type} channel is empty");
        if (channel.Length > limits.MaxChannelLength) return Malformed(e, SkipReason.Oversized, $"channel name of {channel.Length} chars");
        e.Channel = channel;

        if (type.StartsWith(MessageTypes.ChatPrefix, StringComparison.Ordinal))
        {
            if (!TryString(content, "text", out var text)) return Malformed(e, SkipReason.WrongTypes, $"{type} content.text is not a string");
            if (text.Length > limits.MaxTextLength) return Malformed(e, SkipReason.Oversized, $"text of {text.Length} chars");
            e.Text = text;
            e.Kind = EntryKind.Chat;
            return e;
        }
        if (type is MessageTypes.Join or MessageTypes.Leave)
        {
            e.Kind = type == MessageTypes.Join ? EntryKind.Join : EntryKind.Leave;
            return e;
        }
        // archive / unarchive: reason = content.reason || ''
        e.Reason = TryString(content, "reason", out var reason) ? reason : "";
        if (e.Reason.Length > limits.MaxTextLength) return Malformed(e, SkipReason.Oversized, $"reason of {e.Reason.Length} chars");
        e.Kind = type == MessageTypes.Archive ? EntryKind.Archive : EntryKind.Unarchive;
        return e;
    }

    // The moderation view needs only an object content with a truthy id; no timestamp check (JS).
    private static ParsedEntry ParseFlags(ParsedEntry e, string type, JsonElement content, ChatLimits limits)
    {
        FlagsOp op;
        switch (type)
        {
            case MessageTypes.FlagsSet: op = FlagsOp.Set; break;
            case MessageTypes.FlagsAdd: op = FlagsOp.Add; break;
            case MessageTypes.FlagsRemove: op = FlagsOp.Remove; break;
            default: return e;
        }
        if (content.ValueKind != JsonValueKind.Object) return Malformed(e, SkipReason.WrongTypes, $"{type} content is not an object");
        if (!TryString(content, "id", out var id) || id.Length == 0) return Malformed(e, SkipReason.WrongTypes, $"{type} id is not a non-empty string");
        var group = MessageTypes.CabalWideGroup;
        if (content.TryGetProperty("channel", out var ch) && !IsFalsy(ch))
        {
            if (ch.ValueKind != JsonValueKind.String) return Malformed(e, SkipReason.WrongTypes, $"{type} channel is not a string");
            group = ch.GetString()!;
            if (group.Length > limits.MaxChannelLength) return Malformed(e, SkipReason.Oversized, $"channel name of {group.Length} chars");
        }
        var flags = new List<string>();
        if (content.TryGetProperty("flags", out var f) && !IsFalsy(f))
        {
            if (f.ValueKind != JsonValueKind.Array) return Malformed(e, SkipReason.WrongTypes, $"{type} flags is not an array");
            foreach (var item in f.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) return Malformed(e, SkipReason.WrongTypes, $"{type} flags has a {item.ValueKind}");
                flags.Add(item.GetString()!);
            }
            if (flags.Count > limits.MaxFlags) return Malformed(e, SkipReason.Oversized, $"{flags.Count} flags");
        }
        e.Kind = EntryKind.Flags;
        e.Op = op;
        e.TargetId = id;
        e.Group = group;
        e.Flags = [.. flags];
        e.Reason = TryString(content, "reason", out var reason) ? reason : null;
        return e;
    }

    private static bool IsFalsy(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.False or JsonValueKind.Undefined => true,
        JsonValueKind.String => v.GetString()!.Length == 0,
        JsonValueKind.Number => v.GetDouble() == 0,
        _ => false,
    };

    private static bool TryString(JsonElement obj, string name, out string value)
    {
        if (obj.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String) { value = p.GetString()!; return true; }
        value = "";
        return false;
    }

    private static ParsedEntry Malformed(ParsedEntry e, SkipReason reason, string detail)
    {
        e.Kind = EntryKind.None;
        e.Skip = reason;
        e.Detail = detail;
        return e;
    }

    /// <summary>Reads a decrypted private message (private-messages view shape check); null if it does not qualify.</summary>
    public static ParsedEntry? ParsePrivatePlaintext(ReadOnlySpan<byte> plaintext, ChatLimits limits)
    {
        if (!Utf8.IsValid(plaintext)) plaintext = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(plaintext));
        try
        {
            using var doc = JsonDocument.Parse(plaintext.ToArray(), Options);
            var v = doc.RootElement;
            if (v.ValueKind != JsonValueKind.Object) return null;
            if (!v.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.Object) return null;
            if (!v.TryGetProperty("timestamp", out var ts) || ts.ValueKind != JsonValueKind.Number || !ts.TryGetDouble(out var timestamp)) return null;
            if (!TryString(v, "type", out var type) || !type.StartsWith(MessageTypes.ChatPrefix, StringComparison.Ordinal)) return null;
            if (!TryString(c, "channel", out var channel) || !TryString(c, "text", out var text)) return null;
            if (text.Length > limits.MaxTextLength || channel.Length > limits.MaxChannelLength) return null;
            return new ParsedEntry { Kind = EntryKind.Chat, Type = type, Timestamp = timestamp, Channel = channel, Text = text, KnownUser = true };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
