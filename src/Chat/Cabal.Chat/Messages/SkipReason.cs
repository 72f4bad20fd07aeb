namespace Cabal.Chat.Messages;

/// <summary>Why an entry was skipped as malformed. Unknown but well-formed types are not malformed.</summary>
public enum SkipReason
{
    None = 0,
    /// <summary>Not JSON (cabal-core reads it as {}).</summary>
    InvalidJson,
    /// <summary>JSON null, a string, a number or an array instead of an object.</summary>
    NotAnObject,
    /// <summary>content is null: this stalls JS indexers for good; we skip it.</summary>
    NullContent,
    /// <summary>A known type whose fields have the wrong JSON types or are missing/empty.</summary>
    WrongTypes,
    /// <summary>Over a <see cref="ChatLimits"/> limit.</summary>
    Oversized,
}
