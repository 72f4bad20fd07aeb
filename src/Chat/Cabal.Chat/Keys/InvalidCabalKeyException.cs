namespace Cabal.Chat.Keys;

/// <summary>A cabal key, user key or cabal:// URL that is not 32 bytes of hex (with the offending input).</summary>
public sealed class InvalidCabalKeyException : FormatException
{
    public InvalidCabalKeyException(string message, string? input) : base(message) => Input = input;

    /// <summary>The text that failed to parse (may be null).</summary>
    public string? Input { get; }
}
