namespace Cabal.Cli.Client;

/// <summary>
/// Resolves cabal-cli's NICK{.PUBKEY} argument against known users: a 64-hex key; or "name.keyprefix";
/// or an exact nick; or (if nothing matched) a key prefix of a user without a nick.
/// </summary>
public static class NickResolver
{
    /// <summary>Matching keys: exactly one means resolved; several are candidates to list; none, unknown.</summary>
    public static IReadOnlyList<string> Resolve(string query, IReadOnlyDictionary<string, string?> names)
    {
        query = query.Trim();
        if (query.Length == 0) return [];
        if (query.Length == 64 && query.All(Uri.IsHexDigit)) return [query.ToLowerInvariant()];
        var dot = query.LastIndexOf('.');
        if (dot > 0 && dot < query.Length - 1)
        {
            var (name, prefix) = (query[..dot], query[(dot + 1)..].ToLowerInvariant());
            var m = names.Where(kv => kv.Value == name && kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => kv.Key).ToList();
            if (m.Count > 0) return m;
        }
        var exact = names.Where(kv => kv.Value == query).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        if (exact.Count > 0) return exact;
        var lower = query.ToLowerInvariant();
        return names.Where(kv => string.IsNullOrEmpty(kv.Value) && kv.Key.StartsWith(lower, StringComparison.Ordinal)).Select(kv => kv.Key).ToList();
    }
}
