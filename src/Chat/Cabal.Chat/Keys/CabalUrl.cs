// cabal:// URLs and keys (spec §1.1–1.2). Accepted:
//   <64 hex>                                   bare key
//   cabal://<64 hex>[/][?admin=<hex>&mod=<hex>…] with any number of admin and mod parameters
//   cbl://… and dat://… (cabal-client's scrubKey strips these prefixes too)
// Keys are normalised to lowercase because JS compares keys as lowercase strings. Unlike
// cabal-core (which takes the first 64 hex digits and ignores the rest) trailing junk after the
// key is rejected: a mistyped key must fail loudly, not open a different cabal.
namespace Cabal.Chat.Keys;

public sealed record CabalUrl
{
    private static readonly string[] Schemes = ["cabal://", "cbl://", "dat://"];

    public CabalUrl(string keyHex, IReadOnlyList<string>? adminKeys = null, IReadOnlyList<string>? modKeys = null)
    {
        KeyHex = CabalKeys.ParseHex(keyHex, "cabal key");
        AdminKeys = (adminKeys ?? []).Select(k => CabalKeys.ParseHex(k, "admin key")).Distinct().ToArray();
        ModKeys = (modKeys ?? []).Select(k => CabalKeys.ParseHex(k, "mod key")).Distinct().ToArray();
    }

    /// <summary>The cabal key, 64 lowercase hex characters.</summary>
    public string KeyHex { get; }

    public byte[] Key => Convert.FromHexString(KeyHex);

    /// <summary>Users treated as cabal-wide admins while this URL is in use (from <c>?admin=</c>).</summary>
    public IReadOnlyList<string> AdminKeys { get; }

    /// <summary>Users treated as cabal-wide moderators while this URL is in use (from <c>?mod=</c>).</summary>
    public IReadOnlyList<string> ModKeys { get; }

    /// <summary>Parses a bare key or a cabal:// URL. Throws <see cref="InvalidCabalKeyException"/>.</summary>
    public static CabalUrl Parse(string text)
    {
        if (text is null) throw new InvalidCabalKeyException("No cabal key given.", null);
        var s = text.Trim();
        var scheme = Schemes.FirstOrDefault(p => s.StartsWith(p, StringComparison.OrdinalIgnoreCase));
        if (scheme is not null) s = s[scheme.Length..];

        string? query = null;
        var q = s.IndexOf('?');
        if (q >= 0) { query = s[(q + 1)..]; s = s[..q]; }
        s = s.TrimEnd('/');
        if (!CabalKeys.IsHexKey(s))
            throw new InvalidCabalKeyException($"'{text}' is not a cabal key: expected 64 hexadecimal characters{(scheme is null ? " or a cabal:// URL" : " after " + scheme)}.", text);

        var admins = new List<string>();
        var mods = new List<string>();
        if (!string.IsNullOrEmpty(query))
        {
            foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=');
                var name = Uri.UnescapeDataString(eq < 0 ? part : part[..eq]);
                var value = eq < 0 ? "" : Uri.UnescapeDataString(part[(eq + 1)..]).Trim();
                var list = name switch { "admin" => admins, "mod" => mods, _ => null };
                if (list is null) continue; // unknown parameters are ignored, as the JS URL parser does
                if (!CabalKeys.IsHexKey(value))
                    throw new InvalidCabalKeyException($"The {name} key '{value}' in '{text}' is not 64 hexadecimal characters.", text);
                list.Add(value);
            }
        }
        return new CabalUrl(s, admins, mods);
    }

    public static bool TryParse(string? text, out CabalUrl? url)
    {
        try { url = text is null ? null : Parse(text); }
        catch (InvalidCabalKeyException) { url = null; }
        return url is not null;
    }

    /// <summary>A fresh random cabal key (the public half of a throw-away Ed25519 key pair, as cabal-core does).</summary>
    public static CabalUrl Generate() => new(Convert.ToHexStringLower(Cabal.Net.Crypto.Ed25519.NewKeyPair().PublicKey));

    /// <summary>cabal://key with the admin and mod parameters, in that order.</summary>
    public override string ToString()
    {
        var query = AdminKeys.Select(k => "admin=" + k).Concat(ModKeys.Select(k => "mod=" + k)).ToArray();
        return "cabal://" + KeyHex + (query.Length == 0 ? "" : "?" + string.Join('&', query));
    }
}
