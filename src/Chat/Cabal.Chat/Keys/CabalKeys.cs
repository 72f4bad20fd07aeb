namespace Cabal.Chat.Keys;

/// <summary>Helpers for 32-byte keys written as 64 hex characters (cabal keys and user keys).</summary>
public static class CabalKeys
{
    public const int KeySize = 32;
    public const int HexLength = 64;

    public static bool IsHexKey(ReadOnlySpan<char> s)
    {
        if (s.Length != HexLength) return false;
        foreach (var c in s) if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    /// <summary>Validates and lowercases a 64-hex key. Throws <see cref="InvalidCabalKeyException"/>.</summary>
    public static string ParseHex(string? s, string what = "key")
    {
        var t = s?.Trim();
        if (t is null || !IsHexKey(t))
            throw new InvalidCabalKeyException($"The {what} '{s}' is not 64 hexadecimal characters.", s);
        return t.ToLowerInvariant();
    }

    /// <summary>Raw bytes of a 64-hex key. Throws <see cref="InvalidCabalKeyException"/>.</summary>
    public static byte[] ParseBytes(string? s, string what = "key") => Convert.FromHexString(ParseHex(s, what));
}
