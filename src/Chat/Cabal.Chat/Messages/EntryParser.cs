// Reads one hypercore block the way cabal-core 16's views do (spec §4.2, §4.4): JSON.parse of the
// UTF-8 text, then each view's shape check. Pure: bytes in, a ParsedEntry of the entry's kind out
// (SkippedEntry when malformed), nothing thrown.
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
        if (block.Length > limits.MaxBlockBytes) return SkippedEntry.Unreadable(SkipReason.Oversized, $"block of {block.Length} bytes");
        var span = block.Span;
        // JS decodes with Buffer#toString (invalid UTF-8 becomes U+FFFD, a BOM stays and breaks JSON.parse).
        if (span.StartsWith("\uFEFF"u8)) return SkippedEntry.Unreadable(SkipReason.InvalidJson, "starts with a byte order mark");
        if (!Utf8.IsValid(span)) block = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(span));

        JsonDocument doc;
        try { doc = JsonDocument.Parse(block, Options); }
        catch (JsonException e) { return SkippedEntry.Unreadable(SkipReason.InvalidJson, e.Message); }
        using (doc)
        {
            try { return FromValue(doc.RootElement, limits); }
            catch (InvalidOperationException e) { return SkippedEntry.Unreadable(SkipReason.WrongTypes, e.Message); } // e.g. unpaired surrogate in a string
        }
    }

    private static ParsedEntry FromValue(JsonElement value, ChatLimits limits)
    {
        if (value.ValueKind != JsonValueKind.Object) return SkippedEntry.Unreadable(SkipReason.NotAnObject, $"value is {value.ValueKind}");
        var hasContent = value.TryGetProperty("content", out var content);
        if (hasContent && content.ValueKind == JsonValueKind.Null) return SkippedEntry.Unreadable(SkipReason.NullContent, "content is null");

        var type = value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : null;
        var hasTimestamp = value.TryGetProperty("timestamp", out var ts) && ts.ValueKind == JsonValueKind.Number && ts.TryGetDouble(out _);
        var timestamp = hasTimestamp ? ts.GetDouble() : 0;
        // JS typeof [] === 'object', so an array content passes S0 (the author becomes a known user).
        var knownUser = type is not null && hasTimestamp && hasContent && content.ValueKind is JsonValueKind.Object or JsonValueKind.Array;
        var contentIsObject = hasContent && content.ValueKind == JsonValueKind.Object;
        ParsedEntry Malformed(SkipReason reason, string detail) => new SkippedEntry(type ?? "", timestamp, reason, detail) { KnownUser = knownUser };
        ParsedEntry Valid(ParsedEntry entry) => entry with { KnownUser = knownUser };

        if (type is null) return Malformed(SkipReason.WrongTypes, "type is not a string");

        if (type == MessageTypes.Encrypted)
        {
            if (!hasContent || content.ValueKind != JsonValueKind.String) return Malformed(SkipReason.WrongTypes, "encrypted content is not a string");
            return Valid(new EncryptedEntry(timestamp, content.GetString()!));
        }
        if (type.StartsWith("flags/", StringComparison.Ordinal))
            return ParseFlags(type, timestamp, hasContent ? content : default, limits, Malformed) is { } flags ? Valid(flags) : Valid(new IgnoredEntry(type, timestamp));

        var known = type.StartsWith(MessageTypes.ChatPrefix, StringComparison.Ordinal) || type is MessageTypes.About
            or MessageTypes.Join or MessageTypes.Leave or MessageTypes.Archive or MessageTypes.Unarchive;
        if (!known) return Valid(new IgnoredEntry(type, timestamp)); // unknown type: kept in the log, ignored by the views
        if (!contentIsObject) return Malformed(SkipReason.WrongTypes, $"{type} content is not an object");
        if (!hasTimestamp) return Malformed(SkipReason.WrongTypes, $"{type} timestamp is not a number");

        if (type == MessageTypes.About)
        {
            // Full replacement by the content object (users view); a non-string name means "no name".
            string? name = null;
            if (content.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            {
                name = n.GetString()!;
                if (name.Length > limits.MaxNameLength) return Malformed(SkipReason.Oversized, $"name of {name.Length} chars");
            }
            return Valid(new AboutEntry(timestamp, name, content.GetRawText()));
        }

        if (!TryString(content, "channel", out var channel)) return Malformed(SkipReason.WrongTypes, $"{type} content.channel is not a string");
        if (channel.Length == 0) return Malformed(SkipReason.WrongTypes, $"{type} channel is empty");
        if (channel.Length > limits.MaxChannelLength) return Malformed(SkipReason.Oversized, $"channel name of {channel.Length} chars");

        if (type.StartsWith(MessageTypes.ChatPrefix, StringComparison.Ordinal))
        {
            if (!TryString(content, "text", out var text)) return Malformed(SkipReason.WrongTypes, $"{type} content.text is not a string");
            if (text.Length > limits.MaxTextLength) return Malformed(SkipReason.Oversized, $"text of {text.Length} chars");
            return Valid(new ChatEntry(type, timestamp, channel, text));
        }
        if (type is MessageTypes.Join or MessageTypes.Leave) return Valid(new MembershipEntry(type, timestamp, channel));

        // archive / unarchive: reason = content.reason || ''
        var reason = TryString(content, "reason", out var r) ? r : "";
        if (reason.Length > limits.MaxTextLength) return Malformed(SkipReason.Oversized, $"reason of {reason.Length} chars");
        return Valid(new ArchiveEntry(type, timestamp, channel, reason));
    }

    // The moderation view needs only an object content with a truthy id; no timestamp check (JS).
    // Null for a flags/* type the view does not know.
    private static ParsedEntry? ParseFlags(string type, double timestamp, JsonElement content, ChatLimits limits, Func<SkipReason, string, ParsedEntry> malformed)
    {
        FlagsOp op;
        switch (type)
        {
            case MessageTypes.FlagsSet: op = FlagsOp.Set; break;
            case MessageTypes.FlagsAdd: op = FlagsOp.Add; break;
            case MessageTypes.FlagsRemove: op = FlagsOp.Remove; break;
            default: return null;
        }
        if (content.ValueKind != JsonValueKind.Object) return malformed(SkipReason.WrongTypes, $"{type} content is not an object");
        if (!TryString(content, "id", out var id) || id.Length == 0) return malformed(SkipReason.WrongTypes, $"{type} id is not a non-empty string");
        var group = MessageTypes.CabalWideGroup;
        if (content.TryGetProperty("channel", out var ch) && !IsFalsy(ch))
        {
            if (ch.ValueKind != JsonValueKind.String) return malformed(SkipReason.WrongTypes, $"{type} channel is not a string");
            group = ch.GetString()!;
            if (group.Length > limits.MaxChannelLength) return malformed(SkipReason.Oversized, $"channel name of {group.Length} chars");
        }
        var flags = new List<string>();
        if (content.TryGetProperty("flags", out var f) && !IsFalsy(f))
        {
            if (f.ValueKind != JsonValueKind.Array) return malformed(SkipReason.WrongTypes, $"{type} flags is not an array");
            foreach (var item in f.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) return malformed(SkipReason.WrongTypes, $"{type} flags has a {item.ValueKind}");
                flags.Add(item.GetString()!);
            }
            if (flags.Count > limits.MaxFlags) return malformed(SkipReason.Oversized, $"{flags.Count} flags");
        }
        return new FlagsEntry(type, timestamp, op, id, group, [.. flags], TryString(content, "reason", out var reason) ? reason : null);
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

    /// <summary>Reads a decrypted private message (private-messages view shape check); null if it does not qualify.</summary>
    public static ChatEntry? ParsePrivatePlaintext(ReadOnlySpan<byte> plaintext, ChatLimits limits)
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
            return new ChatEntry(type, timestamp, channel, text) { KnownUser = true };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
