// Bodies of the multifeed 6 stream extensions (spec/cabal.md §2.5) and cabal-core's peer-id. All
// are JSON. Keys are validated strictly: exactly 64 lowercase hex characters. JS compares keys as
// lowercase strings, so anything else would make two spellings of one feed.
using System.Buffers;
using System.Text.Json;

namespace Cabal.Multifeed.Sets;

internal static class MultifeedWire
{
    public const string Handshake = "MULTIFEED_HANDSHAKE";
    public const string Manifest = "MULTIFEED_MANIFEST";
    public const string RequestFeeds = "MULTIFEED_REQUEST_FEEDS";
    public const string ReplicateFeeds = "MULTIFEED_REPLICATE_FEEDS";
    public const string PeerId = "peer-id";
    public const string Client = "MULTIFEED";
    public const string Version = "4.0.0";
    public const int SupportedMajor = 4;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    public static bool IsKey(string s)
    {
        if (s.Length != 64) return false;
        foreach (var c in s)
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }

    /// <summary>The HANDSHAKE body cabal sends: the replicate options plus client and version.</summary>
    public static byte[] WriteHandshake(string id) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("live", true);
        w.WriteNumber("maxFeeds", 1024);
        w.WriteString("_id", id);
        w.WriteString("client", Client);
        w.WriteString("version", Version);
        w.WriteEndObject();
    });

    /// <summary>Checks a remote HANDSHAKE as multifeed does (§2.6); throws with the reason if it fails.</summary>
    public static void CheckHandshake(ReadOnlySpan<byte> body)
    {
        string? client = null, version = null;
        var r = new Utf8JsonReader(body, ReaderOptions);
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new MultifeedProtocolException("handshake is not a JSON object");
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var name = r.GetString();
                r.Read();
                if (name == "client" && r.TokenType == JsonTokenType.String) client = r.GetString();
                else if (name == "version" && r.TokenType == JsonTokenType.String) version = r.GetString();
                else r.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new MultifeedProtocolException("handshake is not valid JSON: " + e.Message); } // InvalidOperationException: a string that is not UTF-8
        if (version is null) throw new MultifeedProtocolException("handshake has no version");
        if (MajorOf(version) != SupportedMajor) throw new MultifeedProtocolException($"protocol version mismatch: us={Version} them={version}");
        if (client != Client) throw new MultifeedProtocolException($"client mismatch: expected {Client}, got {client ?? "nothing"}");
    }

    // JS: parseInt(v.split('.')[0]), i.e. the leading decimal digits of the first component.
    private static int? MajorOf(string version)
    {
        var s = version.AsSpan().TrimStart();
        var n = 0;
        while (n < s.Length && char.IsAsciiDigit(s[n]) && n < 9) n++;
        return n == 0 ? null : int.Parse(s[..n], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>MANIFEST: <c>{"keys":[…]}</c>.</summary>
    public static byte[] WriteManifest(IReadOnlyCollection<string> keys) => Write(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("keys");
        WriteArray(w, keys);
        w.WriteEndObject();
    }, keys.Count * 67 + 16);

    /// <summary>REQUEST_FEEDS and REPLICATE_FEEDS: a bare JSON array of keys.</summary>
    public static byte[] WriteKeyArray(IReadOnlyCollection<string> keys) => Write(w => WriteArray(w, keys), keys.Count * 67 + 8);

    /// <summary>The keys of a MANIFEST (other fields ignored; no "keys" means none).</summary>
    public static List<string> ReadManifest(ReadOnlySpan<byte> body, int maxKeys)
    {
        var r = new Utf8JsonReader(body, ReaderOptions);
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new MultifeedProtocolException("manifest is not a JSON object");
            List<string>? keys = null;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var isKeys = r.ValueTextEquals("keys"u8);
                r.Read();
                if (isKeys) keys = ReadArray(ref r, maxKeys, "manifest");
                else r.Skip();
            }
            return keys ?? [];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new MultifeedProtocolException("manifest is not valid JSON: " + e.Message); } // InvalidOperationException: a string that is not UTF-8
    }

    /// <summary>The keys of a REQUEST_FEEDS or REPLICATE_FEEDS body.</summary>
    public static List<string> ReadKeyArray(ReadOnlySpan<byte> body, int maxKeys, string what)
    {
        var r = new Utf8JsonReader(body, ReaderOptions);
        try
        {
            if (!r.Read()) throw new MultifeedProtocolException(what + " is empty");
            var keys = ReadArray(ref r, maxKeys, what);
            if (r.Read()) throw new MultifeedProtocolException(what + " has trailing data");
            return keys;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new MultifeedProtocolException(what + " is not valid JSON: " + e.Message); } // InvalidOperationException: a string that is not UTF-8
    }

    private static List<string> ReadArray(ref Utf8JsonReader r, int maxKeys, string what)
    {
        if (r.TokenType != JsonTokenType.StartArray) throw new MultifeedProtocolException(what + ": keys are not a JSON array");
        var keys = new List<string>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.String) throw new MultifeedProtocolException($"{what}: a key is a JSON {r.TokenType}, not a string");
            var key = r.GetString()!;
            if (!IsKey(key)) throw new MultifeedProtocolException($"{what}: malformed key \"{Truncate(key)}\" (need 64 lowercase hex characters)");
            if (keys.Count == maxKeys) throw new MultifeedProtocolException($"{what}: more than {maxKeys} keys");
            keys.Add(key);
        }
        return keys;
    }

    public static byte[] WritePeerId(string keyHex) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("id", keyHex);
        w.WriteEndObject();
    });

    /// <summary>cabal-core swarm.js rules: ignore anything that is not an object with a 32-byte hex "id".</summary>
    public static string? ReadPeerId(ReadOnlySpan<byte> body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String) return null;
            var s = id.GetString()!.ToLowerInvariant();
            return IsKey(s) ? s : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return null; }
    }

    private static void WriteArray(Utf8JsonWriter w, IEnumerable<string> keys)
    {
        w.WriteStartArray();
        foreach (var k in keys) w.WriteStringValue(k);
        w.WriteEndArray();
    }

    private static byte[] Write(Action<Utf8JsonWriter> write, int sizeHint = 256)
    {
        var buffer = new ArrayBufferWriter<byte>(sizeHint);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true })) write(w);
        return buffer.WrittenSpan.ToArray();
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
