namespace Cabal.Cli.Client;

/// <summary>
/// The key prefixes cabal-cli shows after nicks with /ids: 4 hex characters, extended just far
/// enough that no two known keys share the shown prefix (so nick.prefix always names one user).
/// </summary>
public static class KeyPrefixes
{
    public const int MinLength = 4;

    /// <summary>Prefix length per key. Sorted neighbours are the only keys a prefix can collide with.</summary>
    public static Dictionary<string, int> Compute(IEnumerable<string> keys)
    {
        var sorted = keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var result = new Dictionary<string, int>(sorted.Length, StringComparer.Ordinal);
        for (var i = 0; i < sorted.Length; i++)
        {
            var shared = Math.Max(i > 0 ? Common(sorted[i - 1], sorted[i]) : 0, i + 1 < sorted.Length ? Common(sorted[i], sorted[i + 1]) : 0);
            result[sorted[i]] = Math.Min(sorted[i].Length, Math.Max(MinLength, shared + 1));
        }
        return result;
    }

    private static int Common(string a, string b) => a.AsSpan().CommonPrefixLength(b);
}
